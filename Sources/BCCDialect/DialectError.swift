/// Why a bcc program could not be rewritten: diagnostics at the user's lines.
public enum DialectError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The program breaks a rule of bcc's dialect; each diagnostic names its line.
    case compileFailed(file: String, diagnostics: [CompileDiagnostic])

    /// At most this many diagnostics are shown; the rest are counted.
    public static let shownDiagnostics = 20

    /// The file, the error count and the first ``shownDiagnostics``
    /// diagnostics with their source lines, then how many more there are.
    public var description: String {
        switch self {
        case let .compileFailed(file, diagnostics):
            let errors = diagnostics.filter { $0.severity == .error }.count
            let header = "\(file): \(errors) error\(errors == 1 ? "" : "s") compiling the BPF program"
            var lines = [header] + diagnostics.prefix(Self.shownDiagnostics).map(\.description)
            let hidden = diagnostics.dropFirst(Self.shownDiagnostics)
            if !hidden.isEmpty {
                let hiddenErrors = hidden.filter { $0.severity == .error }.count
                lines.append("\(hiddenErrors) more error\(hiddenErrors == 1 ? "" : "s")"
                             + (hidden.count > hiddenErrors ? " and \(hidden.count - hiddenErrors) more warnings and notes" : "") + " not shown")
            }
            return lines.joined(separator: "\n")
        }
    }
}
