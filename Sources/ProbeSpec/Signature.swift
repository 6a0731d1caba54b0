/// A function signature given in a specifier, `(struct file *file, size_t count)`:
/// the parameters name the probed function's arguments in filters and expressions.
public struct Parameter: Equatable, Sendable {
    /// The C type (`struct file *`, `size_t`).
    public var type: String
    /// The name.
    public var name: String

    /// A parameter `type name`.
    public init(type: String, name: String) {
        self.type = type
        self.name = name
    }

    /// `type name` as a C parameter declaration.
    public var declaration: String {
        type.hasSuffix("*") ? "\(type)\(name)" : "\(type) \(name)"
    }

    /// Parses the text between a signature's parentheses (empty means no parameters).
    static func parseList(_ text: SpecText, _ range: Range<Int>) throws(ProbeSpecError) -> [Parameter] {
        let inner = text.trimmed(range)
        if inner.isEmpty || text[inner] == "void" { return [] }
        var parameters: [Parameter] = []
        for piece in try text.split(inner, at: ",") {
            let declaration = text.trimmed(piece)
            guard !declaration.isEmpty else { throw text.error(at: piece.lowerBound, "empty parameter") }
            var nameStart = declaration.upperBound
            while nameStart > declaration.lowerBound, isIdentifierCharacter(text.characters[nameStart - 1]) { nameStart -= 1 }
            let type = text[text.trimmed(declaration.lowerBound..<nameStart)]
            let name = text[nameStart..<declaration.upperBound]
            guard !name.isEmpty, !type.isEmpty, !(name.first?.isNumber ?? true) else {
                throw text.error(at: declaration.lowerBound, "a parameter is 'type name', got '\(text[declaration])'")
            }
            if parameters.contains(where: { $0.name == name }) {
                throw text.error(at: nameStart, "parameter '\(name)' is declared twice")
            }
            parameters.append(Parameter(type: type, name: name))
        }
        return parameters
    }

    static func isIdentifierCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }
}
