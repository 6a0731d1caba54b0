/// What a verifier log says, for the reader of an error: the verifier's
/// reason (its last line before the statistics), the last source line it
/// annotated before giving up (`; TEXT @ FILE:LINE`), and the lines that led
/// there. A rejected loop's log runs to a hundred thousand lines with the
/// reason at the very end; this puts it first.
public struct VerifierLogSummary: Sendable, Equatable {
    /// Why the verifier refused, e.g. "R1 invalid mem access 'map_value_or_null'".
    public var reason: String
    /// The last source annotation before the reason, without its `; `
    /// (e.g. "*value += 1; @ prog.c:5"), when the program has line info.
    public var sourceLine: String?
    /// The last lines before the reason (at most `tailLength`), in order.
    public var tail: [String]
    /// How many lines the whole log has.
    public var lineCount: Int

    /// Summarizes `log`, keeping up to `tailLength` lines before the reason.
    public init(_ log: String, tailLength: Int = 20) {
        let lines = log.split(separator: "\n", omittingEmptySubsequences: true)
        lineCount = lines.count
        // The statistics the kernel appends after the reason.
        var end = lines.endIndex
        while end > lines.startIndex, Self.isStatistics(lines[end - 1]) { end -= 1 }
        guard end > lines.startIndex else {
            reason = lines.last.map(String.init) ?? "no reason given"
            sourceLine = nil
            tail = []
            return
        }
        reason = String(lines[end - 1])
        let before = lines[..<(end - 1)]
        sourceLine = before.last { $0.hasPrefix(";") }.map { String($0.dropFirst().drop { $0 == " " }) }
        tail = before.suffix(tailLength).map(String.init)
    }

    /// The verifier's closing statistics ("processed N insns ...", "verification time ...").
    private static func isStatistics(_ line: Substring) -> Bool {
        ["processed ", "verification time ", "stack depth ", "max_states_per_insn "].contains { line.hasPrefix($0) }
            || line.allSatisfy { $0 == " " || $0 == "\t" }
    }

    /// The reason, where it was, the tail, and how many lines are not shown.
    public var text: String {
        var result = reason
        if let sourceLine { result += "\n  at: \(sourceLine)" }
        if !tail.isEmpty {
            let hidden = lineCount - tail.count - 1
            result += "\n  the log's last \(tail.count) lines before it\(hidden > 0 ? " (of \(lineCount))" : ""):\n"
            result += tail.map { "    " + $0 }.joined(separator: "\n")
        }
        return result
    }
}
