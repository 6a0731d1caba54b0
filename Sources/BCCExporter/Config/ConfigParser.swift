import Foundation
import Yams

/// Turns one config file's YAML into a validated `ExporterConfig`, or every
/// problem in it, each with the file, YAML path, line and what is wrong.
/// Pure but for checking that a `program:` file exists.
public struct ConfigParser {
    /// Keys ebpf_exporter has that bcc-exporter does not, with why.
    static let unsupportedTopLevel = [
        "tracing": "tracing spans are not supported by bcc-exporter (metrics only)",
        "kaddrs": "kaddrs is not supported by bcc-exporter: a bcc program can look kernel symbols up itself",
        "cgroup_id_map": "cgroup_id_map is not supported by bcc-exporter",
    ]

    /// Parses `text`, the contents of `file`; the config is named after the
    /// file. Relative `program:` paths are resolved against the file's directory.
    ///
    /// - Throws: `ConfigErrors` with every problem found.
    public static func parse(_ text: String, file: String) throws(ConfigErrors) -> ExporterConfig {
        let problems = ConfigProblems(file: file)
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigErrors([yamlSyntaxError(error, file: file)])
        } catch {
            throw ConfigErrors([ConfigError(file: file, path: "", problem: "not valid YAML: \(error)")])
        }
        guard let node else {
            throw ConfigErrors([ConfigError(file: file, path: "", problem: "the file is empty; a config needs metrics: and program: or code:")])
        }
        let config = parseDocument(YAMLValue(node: node, path: "", problems: problems), file: file)
        if let config, problems.errors.isEmpty { return config }
        throw ConfigErrors(problems.errors)
    }

    /// The config's name for `file`: its base name without .yaml or .yml.
    public static func configName(file: String) -> String {
        let base = URL(fileURLWithPath: file).lastPathComponent
        for suffix in [".yaml", ".yml"] where base.hasSuffix(suffix) {
            return String(base.dropLast(suffix.count))
        }
        return base
    }

    // MARK: - Document

    private static func parseDocument(_ root: YAMLValue, file: String) -> ExporterConfig? {
        guard let members = root.mapping(known: ["program", "code", "cflags", "metrics"],
                                         unsupported: unsupportedTopLevel, what: "a config") else { return nil }
        let program = parseProgram(members, root: root, file: file)
        var cflags: [String] = []
        if let list = members["cflags"]?.sequence(what: "cflags") {
            cflags = list.compactMap { $0.string(what: "a compiler flag") }
        }
        guard let metrics = members["metrics"] else {
            root.report("missing 'metrics:' (counters and histograms)")
            return nil
        }
        guard let metricMembers = metrics.mapping(known: ["counters", "histograms"], what: "metrics") else { return nil }
        let counterValues = metricMembers["counters"]?.sequence(what: "counters") ?? []
        let histogramValues = metricMembers["histograms"]?.sequence(what: "histograms") ?? []
        let counters = counterValues.map(parseCounter)
        let histograms = histogramValues.map(parseHistogram)
        if counterValues.isEmpty && histogramValues.isEmpty {
            metrics.report("defines no metrics: add counters: or histograms:")
        }
        var seen = Set<String>()
        let names = counters.map { $0?.name } + histograms.map { $0?.name }
        for (name, value) in zip(names, counterValues + histogramValues) {
            if let name, !seen.insert(name).inserted { value.report("metric name '\(name)' is used twice") }
        }
        guard let program else { return nil }
        let validCounters = counters.compactMap { $0 }, validHistograms = histograms.compactMap { $0 }
        guard validCounters.count == counters.count, validHistograms.count == histograms.count else { return nil }
        return ExporterConfig(name: configName(file: file), file: file, program: program, cflags: cflags,
                              counters: validCounters, histograms: validHistograms)
    }

    private static func parseProgram(_ members: [String: YAMLValue], root: YAMLValue, file: String) -> ProgramSource? {
        switch (members["program"], members["code"]) {
        case (nil, nil):
            root.report("missing the program: 'program: FILE.c' or 'code: |' with bcc C inline")
            return nil
        case (.some, .some(let code)):
            code.report("give either 'program:' or 'code:', not both")
            return nil
        case (nil, .some(let code)):
            guard let text = code.nonEmptyString(what: "the bcc C program") else { return nil }
            // A block scalar's text starts on the line after the `code: |` mark.
            let line = (code.node.mark?.line ?? 0) + (code.node.scalar?.style == .literal || code.node.scalar?.style == .folded ? 1 : 0)
            return .inline(code: text, line: line)
        case (.some(let program), nil):
            guard let path = program.nonEmptyString(what: "the program's file") else { return nil }
            let directory = URL(fileURLWithPath: file).deletingLastPathComponent()
            let resolved = path.hasPrefix("/") ? path : directory.appendingPathComponent(path).path
            guard FileManager.default.isReadableFile(atPath: resolved) else {
                program.report("cannot read the program file '\(resolved)'")
                return nil
            }
            return .file(path: resolved)
        }
    }

    // MARK: - Metrics

    private static func parseCounter(_ value: YAMLValue) -> CounterMetric? {
        guard let members = value.mapping(known: ["name", "help", "table", "labels", "ring_buffer"], unsupported: [
            "perf_event_array": "perf_event_array is not supported: send records to a BPF_RINGBUF_OUTPUT table and set ring_buffer: true",
            "flush_interval": "flush_interval is not supported: ring buffer counters only grow",
        ], what: "a counter") else { return nil }
        let name = metricName(members, in: value)
        let help = requiredHelp(members, in: value)
        let table = tableName(members["table"])
        let ringBuffer = members["ring_buffer"]?.boolean(what: "ring_buffer") ?? false
        let labels = parseLabels(members["labels"], histogram: false)
        guard let name, let help, let labels else { return nil }
        return CounterMetric(name: name, help: help, table: table, labels: labels, ringBuffer: ringBuffer)
    }

    private static func parseHistogram(_ value: YAMLValue) -> HistogramMetric? {
        guard let members = value.mapping(known: ["name", "help", "table", "labels", "bucket_type", "bucket_min",
                                                  "bucket_max", "bucket_multiplier", "bucket_keys"], what: "a histogram")
        else { return nil }
        let name = metricName(members, in: value)
        let help = requiredHelp(members, in: value)
        let table = tableName(members["table"])
        let layout = parseBuckets(members, in: value)
        guard let labelsValue = members["labels"] else {
            value.report("missing 'labels:'; a histogram's last label is the bucket number")
            return nil
        }
        let labels = parseLabels(labelsValue, histogram: true)
        guard let name, let help, let layout, let labels else { return nil }
        return HistogramMetric(name: name, help: help, table: table, buckets: layout, labels: labels)
    }

    private static func metricName(_ members: [String: YAMLValue], in value: YAMLValue) -> String? {
        guard let node = members["name"] else {
            value.report("missing 'name:'")
            return nil
        }
        guard let name = node.nonEmptyString(what: "the metric name") else { return nil }
        guard PrometheusNames.isMetricName(name) else {
            node.report("'\(name)' is not a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)")
            return nil
        }
        return name
    }

    private static func requiredHelp(_ members: [String: YAMLValue], in value: YAMLValue) -> String? {
        guard let node = members["help"] else {
            value.report("missing 'help:'")
            return nil
        }
        return node.nonEmptyString(what: "the help text")
    }

    private static func tableName(_ value: YAMLValue?) -> String? {
        guard let value, let name = value.nonEmptyString(what: "the table name") else { return nil }
        guard PrometheusNames.isCIdentifier(name) else {
            value.report("'\(name)' is not a C identifier, so it cannot name a table")
            return nil
        }
        return name
    }

    // MARK: - Buckets

    private static func parseBuckets(_ members: [String: YAMLValue], in value: YAMLValue) -> BucketLayout? {
        guard let typeValue = members["bucket_type"] else {
            value.report("missing 'bucket_type:' (\(BucketType.allCases.map(\.rawValue).joined(separator: ", ")))")
            return nil
        }
        guard let typeName = typeValue.string(what: "the bucket type") else { return nil }
        guard let type = BucketType(rawValue: typeName) else {
            typeValue.report("unknown bucket type '\(typeName)' (expected \(BucketType.allCases.map(\.rawValue).joined(separator: ", ")))")
            return nil
        }
        let multiplier = members["bucket_multiplier"].map { $0.positiveNumber(what: "bucket_multiplier") } ?? 1
        if type == .fixed {
            for key in ["bucket_min", "bucket_max"] {
                members[key]?.report("\(key) is not used with bucket_type fixed (bucket_keys lists the buckets)")
            }
            guard let keysValue = members["bucket_keys"] else {
                value.report("bucket_type fixed needs 'bucket_keys:', the bucket numbers in increasing order")
                return nil
            }
            guard let keys = keysValue.sequence(what: "bucket_keys") else { return nil }
            var parsed: [UInt64] = []
            for key in keys {
                guard let number = key.integer(what: "a bucket key", in: 0...Int.max) else { continue }
                if let last = parsed.last, UInt64(number) <= last {
                    key.report("bucket keys must increase: \(number) follows \(last)")
                }
                parsed.append(UInt64(number))
            }
            guard !parsed.isEmpty else {
                keysValue.report("bucket_keys is empty")
                return nil
            }
            guard let multiplier else { return nil }
            return BucketLayout(type: .fixed, keys: parsed, multiplier: multiplier)
        }
        members["bucket_keys"]?.report("bucket_keys is only used with bucket_type fixed")
        // 2^1023 is the largest power of two a Double holds.
        let highest = type == .linear ? 1 << 40 : 1023
        guard let minValue = members["bucket_min"] else {
            value.report("missing 'bucket_min:', the first bucket number")
            return nil
        }
        guard let maxValue = members["bucket_max"] else {
            value.report("missing 'bucket_max:', the last bucket number")
            return nil
        }
        guard let low = minValue.integer(what: "bucket_min", in: 0...highest),
              let high = maxValue.integer(what: "bucket_max", in: 0...highest) else { return nil }
        guard low <= high else {
            maxValue.report("bucket_max (\(high)) is below bucket_min (\(low))")
            return nil
        }
        guard high - low < maximumBuckets else {
            maxValue.report("\(high - low + 1) buckets is too many (at most \(maximumBuckets))")
            return nil
        }
        guard let multiplier else { return nil }
        return BucketLayout(type: type, min: low, max: high, multiplier: multiplier)
    }

    /// More buckets than this in one histogram is a mistake, and each is a time series.
    static let maximumBuckets = 4096

    // MARK: - Labels

    private static func parseLabels(_ value: YAMLValue?, histogram: Bool) -> [LabelSpec]? {
        guard let value else { return [] }
        guard let entries = value.sequence(what: "labels") else { return nil }
        var labels: [LabelSpec] = []
        var failed = false
        for (index, entry) in entries.enumerated() {
            let isBucket = histogram && index == entries.count - 1
            if let label = parseLabel(entry, isBucket: isBucket) { labels.append(label) } else { failed = true }
        }
        if histogram && entries.isEmpty {
            value.report("a histogram needs at least one label: the last is the bucket number")
            return nil
        }
        if !failed {
            var seen = Set<String>()
            for (label, entry) in zip(labels, entries) where !seen.insert(label.name).inserted {
                entry.report("label name '\(label.name)' is used twice")
                failed = true
            }
        }
        return failed ? nil : labels
    }

    private static func parseLabel(_ value: YAMLValue, isBucket: Bool) -> LabelSpec? {
        guard let members = value.mapping(known: ["name", "size", "padding", "decoders"], what: "a label") else { return nil }
        var name: String?
        if let nameValue = members["name"] {
            name = nameValue.nonEmptyString(what: "the label name")
            if let label = name {
                if !PrometheusNames.isLabelName(label) {
                    nameValue.report("'\(label)' is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)")
                    name = nil
                } else if label == "le" && !isBucket {
                    nameValue.report("'le' is the label Prometheus gives histogram buckets; choose another name")
                    name = nil
                }
            }
        } else {
            value.report("missing 'name:'")
        }
        var size: Int?
        if let sizeValue = members["size"] {
            size = sizeValue.integer(what: "the label's size in bytes", in: 1...maximumLabelSize)
        } else {
            value.report("missing 'size:', the label's bytes in the key")
        }
        let padding = members["padding"].map { $0.integer(what: "padding", in: 0...maximumLabelSize) } ?? 0
        guard let decodersValue = members["decoders"] else {
            value.report("missing 'decoders:' (e.g. - name: uint)")
            return nil
        }
        guard let entries = decodersValue.sequence(what: "decoders") else { return nil }
        guard !entries.isEmpty else {
            decodersValue.report("decoders is empty (e.g. - name: uint)")
            return nil
        }
        let decoders = entries.compactMap(parseDecoder)
        guard decoders.count == entries.count, let name, let size, let padding else { return nil }
        guard checkChain(decoders, entries: entries, size: size, isBucket: isBucket, label: value) else { return nil }
        return LabelSpec(name: name, size: size, padding: padding, decoders: decoders)
    }

    /// A label wider than this is a mistake (bcc keys are structs of a few fields).
    static let maximumLabelSize = 4096

    private static func parseDecoder(_ value: YAMLValue) -> DecoderSpec? {
        guard let members = value.mapping(known: ["name", "static_map", "allow_unknown", "regexps"], what: "a decoder")
        else { return nil }
        guard let nameValue = members["name"] else {
            value.report("missing 'name:' (one of \(DecoderSpec.names.joined(separator: ", ")))")
            return nil
        }
        guard let name = nameValue.string(what: "the decoder name") else { return nil }
        for key in ["static_map", "allow_unknown"] where name != "static_map" && members[key] != nil {
            members[key]!.report("\(key) belongs to the static_map decoder, not '\(name)'")
        }
        if name != "regexp", let regexps = members["regexps"] {
            regexps.report("regexps belongs to the regexp decoder, not '\(name)'")
        }
        switch name {
        case "uint": return .uint
        case "string": return .string
        case "hex": return .hex
        case "inet_ip": return .inetIP
        case "ksym": return .ksym
        case "kstack": return .kstack
        case "syscall": return .syscall
        case "errno": return .errno
        case "majorminor": return .majorMinor
        case "cgroup": return .cgroup
        case "ifname": return .ifname
        case "dname": return .dname
        case "static_map":
            guard let mapValue = members["static_map"] else {
                value.report("the static_map decoder needs 'static_map:', a mapping of values to label values")
                return nil
            }
            guard case .mapping(let mapping) = mapValue.node else {
                mapValue.report("expected static_map (a mapping of values to label values)")
                return nil
            }
            var table: [String: String] = [:]
            for (key, mapped) in mapping {
                guard let from = key.scalar?.string, let to = mapped.scalar?.string else {
                    YAMLValue(node: key, path: mapValue.path, problems: value.problems)
                        .report("static_map entries map a value to a string")
                    return nil
                }
                table[from] = to
            }
            let allowUnknown = members["allow_unknown"].map { $0.boolean(what: "allow_unknown") } ?? false
            guard let allowUnknown else { return nil }
            return .staticMap(mapping: table, allowUnknown: allowUnknown)
        case "regexp":
            guard let list = members["regexps"]?.sequence(what: "regexps") else {
                if members["regexps"] == nil { value.report("the regexp decoder needs 'regexps:', a list of expressions") }
                return nil
            }
            var patterns: [String] = []
            for entry in list {
                guard let pattern = entry.string(what: "a regular expression") else { continue }
                do {
                    _ = try Regex(pattern)
                    patterns.append(pattern)
                } catch {
                    entry.report("not a valid regular expression: \(error)")
                }
            }
            guard patterns.count == list.count, !patterns.isEmpty else {
                if list.isEmpty { members["regexps"]!.report("regexps is empty") }
                return nil
            }
            return .regexp(patterns: patterns)
        case "pci_vendor", "pci_device", "pci_class", "pci_subclass":
            nameValue.report("the \(name) decoder is not supported by bcc-exporter (it needs the PCI ids database)")
            return nil
        default:
            nameValue.report("unknown decoder '\(name)' (known: \(DecoderSpec.names.joined(separator: ", ")))")
            return nil
        }
    }

    /// Checks that each decoder gets the input it understands: raw key bytes
    /// of a size it reads, or the decimal number `uint` makes.
    private static func checkChain(_ decoders: [DecoderSpec], entries: [YAMLValue], size: Int, isBucket: Bool,
                                   label: YAMLValue) -> Bool {
        var input = LabelDecoding.Input.bytes(size)
        var valid = true
        for (decoder, entry) in zip(decoders, entries) {
            switch LabelDecoding.output(of: decoder, for: input) {
            case .success(let output):
                input = output
            case .failure(let problem):
                entry.report(problem.description)
                valid = false
            }
        }
        if valid && isBucket && input != .number {
            label.report("a histogram's last label is the bucket number: its decoders must end with uint")
            valid = false
        }
        return valid
    }

    // MARK: - Helpers

    private static func yamlSyntaxError(_ error: YamlError, file: String) -> ConfigError {
        switch error {
        case let .scanner(context, problem, mark, _):
            return ConfigError(file: file, path: "", line: mark.line, column: mark.column,
                               problem: "not valid YAML: \(problem)\(context.map { " \($0.text)" } ?? "")")
        case let .parser(context, problem, mark, _):
            return ConfigError(file: file, path: "", line: mark.line, column: mark.column,
                               problem: "not valid YAML: \(problem)\(context.map { " \($0.text)" } ?? "")")
        case let .composer(context, problem, mark, _):
            return ConfigError(file: file, path: "", line: mark.line, column: mark.column,
                               problem: "not valid YAML: \(problem)\(context.map { " \($0.text)" } ?? "")")
        case let .duplicatedKeysInMapping(duplicates, context):
            return ConfigError(file: file, path: "", line: context.mark.line, column: context.mark.column,
                               problem: "a mapping gives \(duplicates.joined(separator: ", ")) twice")
        default:
            return ConfigError(file: file, path: "", problem: "not valid YAML: \(error)")
        }
    }
}
