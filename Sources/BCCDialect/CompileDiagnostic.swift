/// One compiler or rewriter message about the user's bcc C program, located
/// in the user's own file (never in the rewritten text).
public struct CompileDiagnostic: Sendable, Equatable, CustomStringConvertible {
    /// How serious the message is.
    public enum Severity: String, Sendable {
        case error, warning, note
    }

    /// The user's file name (or "<text>" for BPF(text:)).
    public var file: String
    /// 1-based line in the user's source.
    public var line: Int
    /// 1-based column in the user's source.
    public var column: Int
    /// Error, warning or note.
    public var severity: Severity
    /// What is wrong.
    public var message: String
    /// The user's source line the message points at.
    public var sourceLine: String

    /// Creates a diagnostic.
    public init(file: String, line: Int, column: Int, severity: Severity, message: String, sourceLine: String) {
        self.file = file
        self.line = line
        self.column = column
        self.severity = severity
        self.message = message
        self.sourceLine = sourceLine
    }

    /// clang's layout: `file:line:col: error: message`, the source line and
    /// a caret; of a very long line, only the part around the column.
    public var description: String {
        let window = 160
        var shown = Substring(sourceLine)
        var caretColumn = max(column - 1, 0)
        if shown.count > window {
            let start = max(0, min(caretColumn - window / 2, shown.count - window))
            shown = shown.dropFirst(start).prefix(window)
            caretColumn -= start
        }
        var caretPrefix = ""
        for character in shown.prefix(caretColumn) {
            caretPrefix.append(character == "\t" ? "\t" : " ")
        }
        return "\(file):\(line):\(column): \(severity.rawValue): \(message)\n    \(shown)\n    \(caretPrefix)^"
    }
}
