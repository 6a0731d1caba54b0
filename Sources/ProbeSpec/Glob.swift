/// A shell-style wildcard pattern: `*` matches any run of characters, `?` one character.
public struct Glob: Sendable, Equatable {
    /// The pattern text.
    public let pattern: String
    private let characters: [UInt8]

    /// A glob for `pattern`.
    public init(_ pattern: String) {
        self.pattern = pattern
        characters = Array(pattern.utf8)
    }

    /// True when the pattern has a wildcard.
    public var hasWildcards: Bool { characters.contains(UInt8(ascii: "*")) || characters.contains(UInt8(ascii: "?")) }

    /// True when all of `name` matches. Linear in the name times the pattern (no backtracking blow-up).
    public func matches(_ name: String) -> Bool {
        let text = Array(name.utf8)
        var p = 0, t = 0
        var star = -1, resume = 0
        while t < text.count {
            if p < characters.count && (characters[p] == UInt8(ascii: "?") || characters[p] == text[t]) {
                p += 1; t += 1
            } else if p < characters.count && characters[p] == UInt8(ascii: "*") {
                star = p; resume = t; p += 1
            } else if star >= 0 {
                p = star + 1; resume += 1; t = resume
            } else {
                return false
            }
        }
        while p < characters.count && characters[p] == UInt8(ascii: "*") { p += 1 }
        return p == characters.count
    }
}
