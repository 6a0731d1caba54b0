/// bcc's one-liner vocabulary inside filters and expressions, rewritten to C:
/// `arg1`..`arg6` (the probed function's arguments), `retval` / `$retval`,
/// `$uid`, `$gid`, `$pid` (thread), `$tgid` (process), `$cpu`, `$task`,
/// argdist's `$PID` and `$COMM`. Replacement is by whole identifier, so
/// `arg10` or `my_retval` are left alone (bcc's plain text replacement is not).
public enum ExpressionAliases {
    /// What a `$` alias or bare name becomes in every kind of probe.
    static let common: [String: String] = [
        "$uid": "(unsigned)(bpf_get_current_uid_gid() & 0xffffffff)",
        "$gid": "(unsigned)(bpf_get_current_uid_gid() >> 32)",
        "$pid": "(unsigned)(bpf_get_current_pid_tgid() & 0xffffffff)",
        "$tgid": "(unsigned)(bpf_get_current_pid_tgid() >> 32)",
        "$PID": "(bpf_get_current_pid_tgid() >> 32)",
        "$cpu": "bpf_get_smp_processor_id()",
        "$task": "((struct task_struct *)bpf_get_current_task())",
    ]

    /// Rewrites `expression` for a probe of `kind`. `arguments` names what
    /// argN reads (PT_REGS_PARMn(ctx) for function probes; for USDT the
    /// generated argument variables); `extra` adds tool-specific aliases
    /// (argdist's `$COMM`, `$entry(x)`, `$latency`).
    public static func rewrite(_ expression: String, kind: ProbePoint.Kind, extra: [String: String] = [:]) -> String {
        var aliases = common.merging(extra) { _, new in new }
        if kind != .tracepoint {
            for n in 1...6 {
                aliases["arg\(n)"] = kind == .usdt ? "__usdt_arg\(n)" : "PT_REGS_PARM\(n)(ctx)"
            }
        }
        if kind.isReturn {
            aliases["retval"] = "PT_REGS_RC(ctx)"
            aliases["$retval"] = "PT_REGS_RC(ctx)"
        }
        return replaceIdentifiers(in: expression, aliases)
    }

    /// For a USDT probe, the statements that read the arguments `expressions`
    /// use into the variables `arg1`..`arg6` stand for (bcc's
    /// `bpf_usdt_readarg(n, ctx, &argn)`); nothing for other probes.
    public static func usdtArgumentReads(kind: ProbePoint.Kind, expressions: [String]) -> String {
        guard kind == .usdt else { return "" }
        let numbers = expressions.reduce(into: Set<Int>()) { $0.formUnion(argumentNumbers(in: $1)) }
        return numbers.sorted().map { "u64 __usdt_arg\($0) = 0; bpf_usdt_readarg(\($0), ctx, &__usdt_arg\($0)); " }.joined()
    }

    /// The `arg` numbers (1-6) an expression uses, so USDT probes read only those.
    public static func argumentNumbers(in expression: String) -> Set<Int> {
        var numbers = Set<Int>()
        forEachIdentifier(in: expression) { name, _ in
            if name.hasPrefix("arg"), let n = Int(name.dropFirst(3)), (1...6).contains(n) { numbers.insert(n) }
        }
        return numbers
    }

    /// Replaces whole identifiers (optionally `$`-prefixed) outside string and character literals.
    static func replaceIdentifiers(in text: String, _ replacements: [String: String]) -> String {
        var output = ""
        var copied = text.startIndex
        forEachIdentifier(in: text) { name, range in
            guard let replacement = replacements[name] else { return }
            output += text[copied..<range.lowerBound]
            output += replacement
            copied = range.upperBound
        }
        output += text[copied...]
        return output
    }

    /// Calls `body` with each identifier (a `$` may lead it) and its range,
    /// skipping string and character literals and member names after `.` or `->`.
    static func forEachIdentifier(in text: String, _ body: (String, Range<String.Index>) -> Void) {
        var index = text.startIndex
        var previous: Character?
        var beforePrevious: Character?
        func isStart(_ c: Character) -> Bool { c.isLetter || c == "_" || c == "$" }
        func isPart(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }
        while index < text.endIndex {
            let c = text[index]
            if c == "\"" || c == "'" {
                var end = text.index(after: index)
                while end < text.endIndex && text[end] != c {
                    if text[end] == "\\" { end = text.index(after: end); if end == text.endIndex { break } }
                    end = text.index(after: end)
                }
                index = end < text.endIndex ? text.index(after: end) : end
                previous = c
                continue
            }
            if isStart(c) && !(previous.map(isPart) ?? false) {
                var end = text.index(after: index)
                while end < text.endIndex && isPart(text[end]) { end = text.index(after: end) }
                let isMember = previous == "." || (previous == ">" && beforePrevious == "-")
                if !isMember { body(String(text[index..<end]), index..<end) }
                beforePrevious = nil
                previous = text[text.index(before: end)]
                index = end
                continue
            }
            if !c.isWhitespace {
                beforePrevious = previous
                previous = c
            }
            index = text.index(after: index)
        }
    }
}
