/// Why a bcc program could not be rewritten: diagnostics at the user's lines.
public enum DialectError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The program breaks a rule of bcc's dialect; each diagnostic names its line.
    case compileFailed(file: String, diagnostics: [CompileDiagnostic])

    /// The file, the error count and each diagnostic with its source line.
    public var description: String {
        switch self {
        case let .compileFailed(file, diagnostics):
            let errors = diagnostics.filter { $0.severity == .error }.count
            let header = "\(file): \(errors) error\(errors == 1 ? "" : "s") compiling the BPF program"
            return ([header] + diagnostics.map(\.description)).joined(separator: "\n")
        }
    }
}
