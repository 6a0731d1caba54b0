/// The specifier's text with positions, and the scanning the parsers share:
/// splitting at a delimiter outside parentheses, brackets and string literals.
struct SpecText {
    /// The whole specifier.
    let text: String
    /// Its characters (columns are indices into this, plus one).
    let characters: [Character]

    init(_ text: String) {
        self.text = text
        characters = Array(text)
    }

    /// An error at the 0-based character index `index`.
    func error(at index: Int, _ message: String) -> ProbeSpecError {
        ProbeSpecError(specifier: text, column: index + 1, message: message)
    }

    /// The string for characters `range`.
    subscript(_ range: Range<Int>) -> String { String(characters[range]) }

    /// Splits `range` at each `delimiter` that is outside parentheses,
    /// brackets and string or character literals. Each piece keeps its
    /// position; an unbalanced closer or an unterminated literal is an error.
    func split(_ range: Range<Int>, at delimiter: Character, maxPieces: Int = .max) throws(ProbeSpecError) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        var depth = 0
        var openers: [Int] = []
        var start = range.lowerBound
        var index = range.lowerBound
        while index < range.upperBound {
            let character = characters[index]
            switch character {
            case "\"", "'":
                index = try endOfLiteral(startingAt: index, limit: range.upperBound)
            case "(", "[":
                depth += 1
                openers.append(index)
            case ")", "]":
                guard depth > 0 else { throw error(at: index, "unbalanced '\(character)'") }
                depth -= 1
                openers.removeLast()
            default:
                if character == delimiter && depth == 0 && pieces.count + 1 < maxPieces {
                    pieces.append(start..<index)
                    start = index + 1
                }
            }
            index += 1
        }
        if let open = openers.last { throw error(at: open, "'\(characters[open])' is never closed") }
        pieces.append(start..<range.upperBound)
        return pieces
    }

    /// The index of the quote that closes the literal opened at `start`.
    func endOfLiteral(startingAt start: Int, limit: Int) throws(ProbeSpecError) -> Int {
        let quote = characters[start]
        var index = start + 1
        while index < limit {
            if characters[index] == "\\" {
                index += 2
                continue
            }
            if characters[index] == quote { return index }
            index += 1
        }
        throw error(at: start, quote == "\"" ? "unterminated string literal" : "unterminated character literal")
    }

    /// The index of the parenthesis that closes the one at `open`.
    func matchingParenthesis(_ open: Int, limit: Int) throws(ProbeSpecError) -> Int {
        var depth = 0
        var index = open
        while index < limit {
            switch characters[index] {
            case "\"", "'": index = try endOfLiteral(startingAt: index, limit: limit)
            case "(": depth += 1
            case ")":
                depth -= 1
                if depth == 0 { return index }
            default: break
            }
            index += 1
        }
        throw error(at: open, "'(' is never closed")
    }

    /// `range` without leading and trailing whitespace.
    func trimmed(_ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper && characters[lower].isWhitespace { lower += 1 }
        while upper > lower && characters[upper - 1].isWhitespace { upper -= 1 }
        return lower..<upper
    }
}
