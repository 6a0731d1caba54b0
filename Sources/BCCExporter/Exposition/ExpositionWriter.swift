/// Writes the Prometheus text exposition format, version 0.0.4: `# HELP`
/// and `# TYPE` lines, then one sample a line, label values escaped,
/// histograms as `_bucket` lines with `le` last and cumulative, then
/// `+Inf`, `_sum` and `_count`.
///
/// Labels keep the order they are given in; the writer does not check
/// names (the config parser does) but escapes every value and help text.
public struct ExpositionWriter: Sendable {
    /// The HTTP Content-Type of what this writes.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// A metric family's TYPE.
    public enum MetricType: String, Sendable {
        case counter, gauge, histogram, untyped
    }

    /// The text so far, as UTF-8.
    public private(set) var bytes: [UInt8] = []

    /// An empty exposition with room for `capacity` bytes.
    public init(capacity: Int = 4096) {
        bytes.reserveCapacity(capacity)
    }

    /// The text so far.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    // MARK: - Families and samples

    /// The `# HELP` and `# TYPE` lines that start family `name`.
    public mutating func family(_ name: String, help: String, type: MetricType) {
        append("# HELP ")
        append(name)
        bytes.append(UInt8(ascii: " "))
        appendEscaped(help, quotes: false)
        append("\n# TYPE ")
        append(name)
        bytes.append(UInt8(ascii: " "))
        append(type.rawValue)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// One sample line: `name{label="value",...} value`.
    public mutating func sample(_ name: String, labels: [String] = [], values: [String] = [], value: UInt64) {
        sampleStart(name, labels: labels, values: values)
        append(String(value))
        bytes.append(UInt8(ascii: "\n"))
    }

    /// One sample line with a floating-point value.
    public mutating func sample(_ name: String, labels: [String] = [], values: [String] = [], value: Double) {
        sampleStart(name, labels: labels, values: values)
        append(Self.format(value))
        bytes.append(UInt8(ascii: "\n"))
    }

    /// The lines of one histogram series: `name_bucket{labels...,le="B"}`
    /// for each bucket and `+Inf`, then `name_sum` and `name_count`.
    public mutating func histogram(_ name: String, labels: [String] = [], values: [String] = [], _ histogram: AssembledHistogram) {
        let bucketName = name + "_bucket"
        for bucket in histogram.buckets {
            bucketLine(bucketName, labels: labels, values: values, le: Self.format(bucket.upperBound), count: bucket.cumulativeCount)
        }
        bucketLine(bucketName, labels: labels, values: values, le: "+Inf", count: histogram.count)
        sample(name + "_sum", labels: labels, values: values, value: histogram.sum)
        sample(name + "_count", labels: labels, values: values, value: histogram.count)
    }

    // MARK: - Numbers

    /// A float as Prometheus reads it: "+Inf", "-Inf", "NaN", integers
    /// without a fraction, others in Swift's shortest round-trip form ("1e-06").
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    // MARK: - Pieces

    private mutating func bucketLine(_ name: String, labels: [String], values: [String], le: String, count: UInt64) {
        append(name)
        bytes.append(UInt8(ascii: "{"))
        for (label, value) in zip(labels, values) {
            appendLabel(label, value)
            bytes.append(UInt8(ascii: ","))
        }
        appendLabel("le", le)
        append("} ")
        append(String(count))
        bytes.append(UInt8(ascii: "\n"))
    }

    private mutating func sampleStart(_ name: String, labels: [String], values: [String]) {
        append(name)
        if !labels.isEmpty {
            bytes.append(UInt8(ascii: "{"))
            for (index, (label, value)) in zip(labels, values).enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                appendLabel(label, value)
            }
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: " "))
    }

    private mutating func appendLabel(_ name: String, _ value: String) {
        append(name)
        append("=\"")
        appendEscaped(value, quotes: true)
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// Backslash and newline escaped (HELP); double quotes too in label values.
    private mutating func appendEscaped(_ text: String, quotes: Bool) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "\n"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\"") where quotes: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "\""))
            default: bytes.append(byte)
            }
        }
    }
}
