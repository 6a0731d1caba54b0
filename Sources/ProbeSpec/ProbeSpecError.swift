/// A probe specifier that could not be understood: what is wrong and the
/// column (1-based, in characters) of the specifier where it is.
public struct ProbeSpecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The specifier as the user wrote it.
    public var specifier: String
    /// The 1-based column the problem starts at.
    public var column: Int
    /// What is wrong there.
    public var message: String

    /// An error at `column` of `specifier`.
    public init(specifier: String, column: Int, message: String) {
        self.specifier = specifier
        self.column = column
        self.message = message
    }

    /// The message, then the specifier with a caret under the column, as
    /// compilers show a source line.
    public var description: String {
        let caret = String(repeating: " ", count: max(0, column - 1)) + "^"
        return "error in probe '\(specifier)' at column \(column): \(message)\n  \(specifier)\n  \(caret)"
    }
}
