/// Where a one-liner attaches: the first part of a bcc probe specifier,
/// `[p|r]:[library]:function[+offset]`, `t:category:event` or
/// `u:library:[provider:]probe`, with bcc's shorthands (`function` is
/// `p::function`, `library:function` is `p:library:function`).
public struct ProbePoint: Equatable, Sendable, CustomStringConvertible {
    /// What kind of probe the specifier asks for.
    public enum Kind: String, Sendable {
        /// Entry of a kernel function (kprobe).
        case kernelEntry
        /// Return of a kernel function (kretprobe).
        case kernelReturn
        /// Entry of a function in a binary or library (uprobe).
        case userEntry
        /// Return of a function in a binary or library (uretprobe).
        case userReturn
        /// A kernel tracepoint.
        case tracepoint
        /// A user statically defined tracepoint (USDT) in a binary or library.
        case usdt

        /// True for the return probes (`r:`).
        public var isReturn: Bool { self == .kernelReturn || self == .userReturn }
        /// True for probes on user code (uprobes and USDT).
        public var isUser: Bool { self == .userEntry || self == .userReturn || self == .usdt }
    }

    /// The probe kind.
    public var kind: Kind
    /// The binary or library (`c` is libc, as in bcc); empty for kernel probes and tracepoints.
    public var library: String
    /// The function, `category:event` of a tracepoint, or `[provider:]probe` of USDT.
    /// May hold `*` and `?` wildcards (see `isPattern`).
    public var target: String
    /// Bytes past the function's start (`function+0x10`).
    public var offset: UInt64

    /// A probe point of `kind` at `target`.
    public init(kind: Kind, library: String = "", target: String, offset: UInt64 = 0) {
        self.kind = kind
        self.library = library
        self.target = target
        self.offset = offset
    }

    /// True when the target has wildcards to expand (over symbols, tracefs or notes).
    public var isPattern: Bool { target.contains("*") || target.contains("?") }

    /// The tracepoint's category and event (for `.tracepoint`).
    public var tracepoint: (category: String, event: String)? {
        guard kind == .tracepoint else { return nil }
        let parts = target.split(separator: ":", maxSplits: 1).map(String.init)
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }

    /// The USDT provider (when given) and probe name (for `.usdt`).
    public var usdtProbe: (provider: String?, name: String)? {
        guard kind == .usdt else { return nil }
        let parts = target.split(separator: ":", maxSplits: 1).map(String.init)
        return parts.count == 2 ? (parts[0], parts[1]) : (nil, target)
    }

    /// The specifier in bcc's long form (`p:c:malloc`, `t:sched:sched_switch`).
    public var description: String {
        let offsetText = offset == 0 ? "" : "+0x" + String(offset, radix: 16)
        switch kind {
        case .kernelEntry: return "p::\(target)\(offsetText)"
        case .kernelReturn: return "r::\(target)"
        case .userEntry: return "p:\(library):\(target)\(offsetText)"
        case .userReturn: return "r:\(library):\(target)"
        case .tracepoint: return "t:\(target)"
        case .usdt: return "u:\(library):\(target)"
        }
    }

    // MARK: - Parsing

    /// Parses the probe point in `range` of `text`.
    /// - Parameter allowsOffset: trace accepts `function+offset`; the other tools do not.
    /// - Parameter checksNames: false for regular expressions, whose characters are not a name's.
    static func parse(_ text: SpecText, _ range: Range<Int>, allowsOffset: Bool, checksNames: Bool = true) throws(ProbeSpecError) -> ProbePoint {
        guard !range.isEmpty else { throw text.error(at: range.lowerBound, "expected a probe (function, p:lib:function, t:category:event or u:lib:probe)") }
        var parts: [Range<Int>] = []
        var start = range.lowerBound
        for index in range where text.characters[index] == ":" {
            parts.append(start..<index)
            start = index + 1
        }
        parts.append(start..<range.upperBound)
        let explicitType = parts.count >= 3 || (parts.count == 2 && text[parts[0]] == "t")
        let typeText = explicitType ? text[parts[0]] : "p"
        let rest = explicitType ? Array(parts.dropFirst()) : parts
        switch typeText {
        case "t":
            guard rest.count == 2, !rest[0].isEmpty, !rest[1].isEmpty else {
                throw text.error(at: range.lowerBound, "a tracepoint is t:category:event")
            }
            try checkName(text, rest[0], what: "tracepoint category", enabled: checksNames)
            try checkName(text, rest[1], what: "tracepoint event", enabled: checksNames)
            return ProbePoint(kind: .tracepoint, target: text[rest[0]] + ":" + text[rest[1]])
        case "u":
            guard rest.count == 2 || rest.count == 3, !rest[0].isEmpty, rest.allSatisfy({ !$0.isEmpty }) else {
                throw text.error(at: range.lowerBound, "a USDT probe is u:library:probe or u:library:provider:probe")
            }
            let probe = rest.dropFirst().map { text[$0] }.joined(separator: ":")
            for part in rest.dropFirst() { try checkName(text, part, what: "USDT probe", enabled: checksNames) }
            return ProbePoint(kind: .usdt, library: text[rest[0]], target: probe)
        case "", "p", "r":
            guard rest.count <= 2 else {
                throw text.error(at: rest[2].lowerBound - 1, "too many ':' (expected [p|r]:[library]:function)")
            }
            let library = rest.count == 2 ? text[rest[0]] : ""
            var functionRange = rest[rest.count - 1]
            var offset: UInt64 = 0
            if checksNames, let plus = functionRange.first(where: { text.characters[$0] == "+" }) {
                guard allowsOffset else { throw text.error(at: plus, "an offset (+N) is not accepted here") }
                guard typeText != "r" else { throw text.error(at: plus, "a return probe cannot have an offset") }
                let digits = text[(plus + 1)..<functionRange.upperBound]
                guard let value = parseInteger(digits) else {
                    throw text.error(at: plus + 1, "invalid offset '\(digits)': must be decimal or hexadecimal (0x...)")
                }
                offset = value
                functionRange = functionRange.lowerBound..<plus
            }
            guard !functionRange.isEmpty else { throw text.error(at: functionRange.lowerBound, "expected a function name") }
            try checkName(text, functionRange, what: "function", enabled: checksNames)
            let isReturn = typeText == "r"
            let kind: Kind = library.isEmpty ? (isReturn ? .kernelReturn : .kernelEntry) : (isReturn ? .userReturn : .userEntry)
            return ProbePoint(kind: kind, library: library, target: text[functionRange], offset: offset)
        default:
            throw text.error(at: parts[0].lowerBound, "probe type must be '', 'p', 'r', 't' or 'u', but got '\(typeText)'")
        }
    }

    /// Names are C identifiers with wildcards; dots are allowed (symbols such as `foo.cold`, event names with dots).
    private static func checkName(_ text: SpecText, _ range: Range<Int>, what: String, enabled: Bool) throws(ProbeSpecError) {
        guard enabled else { return }
        for index in range {
            let c = text.characters[index]
            guard c.isLetter || c.isNumber || c == "_" || c == "*" || c == "?" || c == "." || c == "-" || c == "@" else {
                throw text.error(at: index, "unexpected '\(c)' in \(what) name")
            }
        }
    }

    static func parseInteger(_ digits: String) -> UInt64? {
        let lower = digits.lowercased()
        if lower.hasPrefix("0x") { return UInt64(lower.dropFirst(2), radix: 16) }
        return UInt64(lower)
    }
}
