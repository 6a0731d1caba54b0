/// The BPF program of argdist: per probe, a hash counting each distinct tuple
/// of expression values (-C), or a log2 histogram of one expression (-H).
/// Return probes that use `$entry(param)` or `$latency` get an entry probe
/// that stores the parameters and the time by thread.
public enum ArgdistSource {
    /// One generated probe: its handlers, table and how to show it.
    public struct Probe: Sendable {
        /// The parsed specifier and the mode it was given with.
        public var spec: ArgdistProbe
        public var mode: ArgdistProbe.Mode
        /// The specifier's text, shown when it has no label.
        public var text: String
        /// The handler at the probe point.
        public var generated: GeneratedProbe
        /// The entry handler of a return probe that needs one.
        public var entry: GeneratedProbe?
        /// The table holding the counts or the histogram.
        public var table: String

        /// The heading printed above the probe's table.
        public var heading: String { spec.label ?? text }

        /// The histogram's value label: the label, the expression, or "retval".
        public var histogramLabel: String { spec.label ?? (spec.isDefaultExpression ? "retval" : spec.expressions[0]) }
    }

    /// The program for `probes` (specifier text, parsed probe with a concrete
    /// point, mode); `stringSize` bytes are kept of `char *` values.
    public static func make(_ probes: [(text: String, spec: ArgdistProbe, mode: ArgdistProbe.Mode)], filter: TaskFilter, stringSize: Int)
        -> (source: String, probes: [Probe])
    {
        var text = ""
        var generated: [Probe] = []
        for (index, probe) in probes.enumerated() {
            let base = "\(GeneratedProbe.identifier(probe.spec.point.target.split(separator: ":").last.map(String.init) ?? "probe"))_probe\(index)"
            let handler = GeneratedProbe(point: probe.spec.point, functionName: base)
            var entry: GeneratedProbe?
            if probe.spec.needsEntryProbe {
                var entryPoint = probe.spec.point
                entryPoint.kind = entryPoint.kind == .kernelReturn ? .kernelEntry : .userEntry
                entry = GeneratedProbe(point: entryPoint, functionName: base + "_entry")
            }
            let table = base + "_hash"
            generated.append(Probe(spec: probe.spec, mode: probe.mode, text: probe.text, generated: handler, entry: entry, table: table))
            text += source(probe.spec, mode: probe.mode, handler: handler, entry: entry, table: table, filter: filter, stringSize: stringSize)
        }
        return (text, generated)
    }

    /// True for the types argdist treats as strings.
    static func isString(_ type: String) -> Bool {
        let compact = type.filter { !$0.isWhitespace }
        return compact == "char*" || compact == "constchar*"
    }

    private static func source(_ spec: ArgdistProbe, mode: ArgdistProbe.Mode, handler: GeneratedProbe, entry: GeneratedProbe?,
                               table: String, filter: TaskFilter, stringSize: Int) -> String
    {
        let kind = spec.point.kind
        var text = ""
        var prefix = ""
        var extra: [String: String] = [:]
        if let entry {
            // $entry(name) and $latency read what the entry probe stored for this thread.
            let entryStruct = "\(handler.functionName)_entry_t"
            let stored = spec.parameters.map { "\($0.type) \($0.name);" }.joined(separator: " ")
            text += "struct \(entryStruct) { u64 __ts; \(stored) };\n"
            text += "BPF_HASH(\(handler.functionName)_entries, u32, struct \(entryStruct));\n"
            let saves = spec.parameters.map { "__value.\($0.name) = \($0.name);" }.joined(separator: " ")
            text += """
                \(entry.definitionHead(parameters: spec.parameters)) {
                    \(filter.statements)
                    u32 __tid = bpf_get_current_pid_tgid();
                    struct \(entryStruct) __value = {};
                    __value.__ts = bpf_ktime_get_ns();
                    \(saves)
                    \(handler.functionName)_entries.update(&__tid, &__value);
                    return 0;
                }

                """
            prefix = """
                u32 __entry_tid = bpf_get_current_pid_tgid();
                struct \(entryStruct) *__entry = \(handler.functionName)_entries.lookup(&__entry_tid);
                if (__entry == 0) { return 0; }
                struct \(entryStruct) __saved = *__entry;
                \(handler.functionName)_entries.delete(&__entry_tid);
                """
            extra["$latency"] = "(bpf_ktime_get_ns() - __saved.__ts)"
        }
        func rewrite(_ expression: String) -> String {
            var expanded = expression
            // $entry(name) -> __saved.name
            while let start = expanded.firstRange(of: "$entry("), let close = expanded[start.upperBound...].firstIndex(of: ")") {
                let name = expanded[start.upperBound..<close].trimmingCharacters()
                expanded.replaceSubrange(start.lowerBound...close, with: "__saved.\(name)")
            }
            return ExpressionAliases.rewrite(expanded, kind: kind, extra: extra)
        }
        let filterCheck = spec.filter.map { "if (!(\(rewrite($0)))) { return 0; }" } ?? ""
        var keyDeclaration = ""
        var keyAssignment = ""
        var update = ""
        switch mode {
        case .histogram:
            keyDeclaration = "BPF_HISTOGRAM(\(table));"
            keyAssignment = "u64 __value = (u64)(\(rewrite(spec.expressions[0])));"
            update = "\(table).atomic_increment(bpf_log2l(__value));"
        case .frequency:
            var fields = ""
            for (position, (type, expression)) in zip(spec.types, spec.expressions).enumerated() {
                if expression == "$COMM" {
                    fields += "char v\(position)[TASK_COMM_LEN]; "
                    keyAssignment += "bpf_get_current_comm(&__key.v\(position), sizeof(__key.v\(position))); "
                } else if isString(type) {
                    fields += "char v\(position)[\(stringSize)]; "
                    let read = kind.isUser || spec.point.tracepoint?.category == "syscalls" ? "bpf_probe_read_user_str" : "bpf_probe_read_kernel_str"
                    keyAssignment += "\(read)(&__key.v\(position), sizeof(__key.v\(position)), (void *)(\(rewrite(expression)))); "
                } else {
                    fields += "\(type) v\(position); "
                    keyAssignment += "__key.v\(position) = (\(type))(\(rewrite(expression))); "
                }
            }
            keyDeclaration = "struct \(table)_key_t { \(fields)};\nBPF_HASH(\(table), struct \(table)_key_t, u64);"
            keyAssignment = "struct \(table)_key_t __key = {}; " + keyAssignment
            update = "\(table).atomic_increment(__key);"
        }
        text += """
            \(keyDeclaration)
            \(handler.definitionHead(parameters: spec.parameters)) {
                \(filter.statements)
                \(prefix)
                \(ExpressionAliases.usdtArgumentReads(kind: kind, expressions: spec.expressions + (spec.filter.map { [$0] } ?? [])))
                \(filterCheck)
                \(keyAssignment)
                \(update)
                return 0;
            }

            """
        return text
    }
}

extension Substring {
    /// The text without surrounding whitespace.
    func trimmingCharacters() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
