/// A Prometheus histogram: cumulative bucket counts by upper bound, the
/// count (the +Inf bucket) and the sum.
public struct AssembledHistogram: Sendable, Equatable {
    /// (upper bound `le`, observations at or below it), bounds increasing;
    /// the +Inf bucket is not listed: it is `count`.
    public var buckets: [Bucket]
    /// All observations.
    public var count: UInt64
    /// The sum of the observations, in the metric's unit (0 when the program keeps no sum).
    public var sum: Double

    /// One cumulative bucket.
    public struct Bucket: Sendable, Equatable {
        /// The bucket's upper bound.
        public var upperBound: Double
        /// Observations at or below `upperBound`.
        public var cumulativeCount: UInt64

        /// A bucket.
        public init(upperBound: Double, cumulativeCount: UInt64) {
            self.upperBound = upperBound
            self.cumulativeCount = cumulativeCount
        }
    }

    /// A histogram.
    public init(buckets: [Bucket], count: UInt64, sum: Double) {
        self.buckets = buckets
        self.count = count
        self.sum = sum
    }
}

/// Builds Prometheus histograms from the kernel's per-bucket counts, as
/// ebpf_exporter does at scrape time: every bucket of the layout is listed
/// (missing ones count zero) and counts become cumulative.
///
/// Bucket number `max + 1` (for `fixed`, the last key + 1) holds the sum of
/// the observations in the kernel's unit, if the program keeps one. Unlike
/// ebpf_exporter, counts outside the layout are not dropped: a bucket
/// number below the first bucket counts in the first (its values are
/// smaller), one above the sum's counts only in +Inf, so that `_count`
/// always equals every observation.
public struct HistogramAssembler: Sendable {
    /// The layout.
    public let layout: BucketLayout
    /// Bucket numbers in increasing order, and their upper bounds.
    private let numbers: [UInt64]
    private let bounds: [Double]
    /// The bucket number that holds the sum.
    private let sumNumber: UInt64

    /// An assembler for `layout`.
    public init(layout: BucketLayout) {
        self.layout = layout
        switch layout.type {
        case .fixed:
            numbers = layout.keys
        case .exp2, .exp2zero, .linear:
            numbers = (layout.min...layout.max).map { UInt64($0) }
        }
        bounds = numbers.map { Self.upperBound(of: $0, layout: layout) }
        sumNumber = (numbers.last ?? 0) &+ 1
    }

    /// The `le` of bucket number `number`.
    public static func upperBound(of number: UInt64, layout: BucketLayout) -> Double {
        let value: Double
        switch layout.type {
        case .exp2: value = Double(sign: .plus, exponent: Int(number), significand: 1)
        case .exp2zero: value = number == 0 ? 0 : Double(sign: .plus, exponent: Int(number) - 1, significand: 1)
        case .linear, .fixed: value = Double(number)
        }
        return scaled(value, by: layout.multiplier)
    }

    /// `value × multiplier`, as a division when the multiplier is the
    /// inverse of a whole number (0.000001 is not exact in binary, 1e6 is):
    /// 73745 µs is 0.073745 s, not 0.07374499999999999.
    static func scaled(_ value: Double, by multiplier: Double) -> Double {
        let inverse = 1 / multiplier
        if multiplier < 1, inverse.rounded() == (inverse * 1e6).rounded() / 1e6, inverse < 1e15 {
            return value / inverse.rounded()
        }
        return value * multiplier
    }

    /// The histogram for `counts` (bucket number -> observations).
    public func assemble(_ counts: [UInt64: UInt64]) -> AssembledHistogram {
        var perBucket = [UInt64](repeating: 0, count: numbers.count)
        var overflow: UInt64 = 0
        var sum = 0.0
        for (number, count) in counts {
            if number == sumNumber {
                sum = Self.scaled(Double(count), by: layout.multiplier)
                continue
            }
            // The first bucket whose number is at least `number`.
            var low = 0, high = numbers.count
            while low < high {
                let middle = (low + high) / 2
                if numbers[middle] < number { low = middle + 1 } else { high = middle }
            }
            if low < numbers.count { perBucket[low] &+= count } else { overflow &+= count }
        }
        var running: UInt64 = 0
        var buckets: [AssembledHistogram.Bucket] = []
        buckets.reserveCapacity(numbers.count)
        for (index, bound) in bounds.enumerated() {
            running &+= perBucket[index]
            buckets.append(.init(upperBound: bound, cumulativeCount: running))
        }
        return AssembledHistogram(buckets: buckets, count: running &+ overflow, sum: sum)
    }
}
