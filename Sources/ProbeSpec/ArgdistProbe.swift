/// One probe of bcc's `argdist` tool:
/// `{p,r,t,u}:{[library],category}:function(signature)[:type[,type...]:expr[,expr...][:filter]][#label]`.
public struct ArgdistProbe: Equatable, Sendable {
    /// Whether values are counted (`-C`, a frequency table) or bucketed (`-H`, a log2 histogram).
    public enum Mode: Sendable { case frequency, histogram }

    /// Where it attaches.
    public var point: ProbePoint
    /// The signature's parameters (empty when `()`).
    public var parameters: [Parameter]
    /// The C types of the collected expressions.
    public var types: [String]
    /// The expressions collected at each hit, in bcc's vocabulary ($retval,
    /// $latency, $entry(param), $PID, $COMM, args->field, parameter names).
    public var expressions: [String]
    /// True when no expression was given: entry probes count `1`, return probes `$retval`.
    public var isDefaultExpression: Bool
    /// The filter expression (nil: every hit).
    public var filter: String?
    /// The label printed above the table (nil: the specifier).
    public var label: String?

    /// True when a return probe needs an entry probe too: `$entry(...)` or `$latency`.
    public var needsEntryProbe: Bool {
        point.kind.isReturn && (expressions + [filter ?? ""]).contains { $0.contains("$entry") || $0.contains("$latency") }
    }

    /// Parses an argdist specifier for `mode`.
    public init(parsing specifier: String, mode: Mode) throws(ProbeSpecError) {
        let text = SpecText(specifier)
        let all = text.trimmed(0..<text.characters.count)
        var body = all
        label = nil
        if let hash = try text.split(all, at: "#", maxPieces: 2).first, hash.upperBound < all.upperBound {
            body = text.trimmed(hash)
            let labelText = text[text.trimmed((hash.upperBound + 1)..<all.upperBound)]
            label = labelText.isEmpty ? nil : labelText
        }
        // The probe point ends at the signature's '(' (argdist requires one).
        guard let open = body.first(where: { text.characters[$0] == "(" }) else {
            throw text.error(at: body.upperBound, "argdist probes need a signature in parentheses, e.g. p:c:malloc(size_t size) or t:sched:sched_switch()")
        }
        guard body.prefix(while: { $0 < open }).filter({ text.characters[$0] == ":" }).count >= 2 else {
            throw text.error(at: body.lowerBound, "an argdist probe is {p,r,t,u}:{[library],category}:function(signature)...")
        }
        point = try ProbePoint.parse(text, body.lowerBound..<open, allowsOffset: false)
        let close = try text.matchingParenthesis(open, limit: body.upperBound)
        parameters = try Parameter.parseList(text, (open + 1)..<close)
        if !parameters.isEmpty && (point.kind == .tracepoint || point.kind == .usdt) {
            throw text.error(at: open, "USDT and tracepoint probes can't have a function signature; use args->field or arg1, arg2, ...")
        }
        let tail = (close + 1)..<body.upperBound
        let sections = tail.isEmpty ? [] : try text.split(tail, at: ":")
        // sections[0] is empty (the text before the first ':').
        if let first = sections.first, !text.trimmed(first).isEmpty {
            throw text.error(at: first.lowerBound, "expected ':' after the signature")
        }
        let fields = Array(sections.dropFirst())
        guard fields.count <= 3 else {
            throw text.error(at: fields[3].lowerBound - 1, "too many ':' sections (expected :types:expressions[:filter])")
        }
        if fields.count == 1 {
            throw text.error(at: fields[0].lowerBound, "types need expressions: :type:expression")
        }
        if fields.count >= 2 {
            types = try text.split(fields[0], at: ",").map { text[text.trimmed($0)] }
            expressions = try text.split(fields[1], at: ",").map { text[text.trimmed($0)] }
            if let empty = types.firstIndex(where: \.isEmpty) { throw text.error(at: fields[0].lowerBound, "type \(empty + 1) is empty") }
            if let empty = expressions.firstIndex(where: \.isEmpty) { throw text.error(at: fields[1].lowerBound, "expression \(empty + 1) is empty") }
            guard types.count == expressions.count else {
                throw text.error(at: fields[1].lowerBound, "mismatched number of expressions (\(expressions.count)) and types (\(types.count))")
            }
            if mode == .histogram && expressions.count > 1 {
                throw text.error(at: fields[1].lowerBound, "histograms can only have 1 expression")
            }
            isDefaultExpression = false
        } else {
            if mode == .histogram && !point.kind.isReturn {
                throw text.error(at: body.upperBound, "histograms need an expression (:type:expression)")
            }
            types = [point.kind.isReturn ? "int" : "u64"]
            expressions = [point.kind.isReturn ? "$retval" : "1"]
            isDefaultExpression = true
        }
        if fields.count == 3 {
            let filterRange = text.trimmed(fields[2])
            filter = filterRange.isEmpty ? nil : text[filterRange]
        } else {
            filter = nil
        }
    }
}
