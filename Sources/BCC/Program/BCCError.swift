/// Errors of the BCC layer: the user's program, its tables and functions.
/// Kernel failures underneath keep their EBPF error as the cause.
public enum BCCError: Error, CustomStringConvertible {
    /// The C program did not compile; the diagnostics name the user's lines.
    case compileFailed(file: String, diagnostics: [CompileDiagnostic])
    /// No clang with the BPF target was found.
    case compilerNotFound(searched: [String])
    /// The compiler could not be run or produced no object.
    case compilerFailed(command: String, detail: String)
    /// The program has no table with this name.
    case tableNotFound(name: String, available: [String])
    /// The program has no function with this name.
    case functionNotFound(name: String, available: [String])
    /// A tracepoint's format could not be read or understood.
    case tracepointFormat(tracepoint: String, detail: String)
    /// A file could not be read or written.
    case file(path: String, detail: String)
    /// A kernel operation on a named function, table or probe failed.
    case kernel(operation: String, object: String, cause: any Error)
    /// A function cannot be used the way it was asked for.
    case invalidUse(object: String, detail: String)
    /// A table's records could not be decoded as its event struct.
    case event(table: String, cause: EventDecodingError)

    /// A human-readable message naming the problem and where it is.
    public var description: String {
        switch self {
        case let .compileFailed(file, diagnostics):
            return DialectError.compileFailed(file: file, diagnostics: diagnostics).description
        case let .compilerNotFound(searched):
            return "no clang with the BPF target found (looked at: \(searched.joined(separator: ", "))); "
                + "set BCC_CLANG to the clang of a Swift toolchain"
        case let .compilerFailed(command, detail):
            return "compiler failed: \(command): \(detail)"
        case let .tableNotFound(name, available):
            return "no table named '\(name)' in the BPF program (tables: \(available.isEmpty ? "none" : available.joined(separator: ", ")))"
        case let .functionNotFound(name, available):
            return "no function named '\(name)' in the BPF program (functions: \(available.isEmpty ? "none" : available.joined(separator: ", ")))"
        case let .tracepointFormat(tracepoint, detail):
            return "tracepoint \(tracepoint): \(detail)"
        case let .file(path, detail):
            return "\(path): \(detail)"
        case let .kernel(operation, object, cause):
            return "\(operation) \(object): \(cause)"
        case let .invalidUse(object, detail):
            return "\(object): \(detail)"
        case let .event(table, cause):
            return "table '\(table)': \(cause)"
        }
    }
}
