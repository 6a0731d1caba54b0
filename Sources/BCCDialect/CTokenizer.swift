// A small C tokenizer for the dialect rewriter: enough of C's lexical
// grammar to find identifiers, balanced parentheses and top-level
// declarations without being fooled by comments, strings or directives.

/// One token of C source, as byte offsets into the original text.
package struct CToken: Equatable, Sendable {
    /// What kind of token this is.
    package enum Kind: Equatable, Sendable {
        case identifier
        case number
        case string
        case character
        case punctuator
        /// A whole preprocessor directive line, continuations included.
        case directive
    }

    package var kind: Kind
    /// Byte offset of the first byte.
    package var start: Int
    /// Byte offset one past the last byte.
    package var end: Int
}

/// Splits C source into tokens. Comments and whitespace are skipped (the
/// rewriter copies them verbatim from the original text between tokens).
package struct CTokenizer {
    /// The source as UTF-8 bytes.
    package let bytes: [UInt8]

    package init(_ source: String) {
        self.bytes = Array(source.utf8)
    }

    /// The text of `token`.
    package func text(_ token: CToken) -> String {
        String(decoding: bytes[token.start..<token.end], as: UTF8.self)
    }

    /// True when `token` is the identifier or punctuator `spelling`.
    package func matches(_ token: CToken, _ spelling: String) -> Bool {
        let utf8 = spelling.utf8
        guard token.end - token.start == utf8.count else { return false }
        return bytes[token.start..<token.end].elementsEqual(utf8)
    }

    /// All tokens of the source. An unterminated comment or literal ends at
    /// the end of the input (clang reports it later with the user's line).
    package func tokenize() -> [CToken] {
        var tokens: [CToken] = []
        tokens.reserveCapacity(bytes.count / 4)
        var i = 0
        var atLineStart = true
        let n = bytes.count
        while i < n {
            let c = bytes[i]
            if c == 0x0A { atLineStart = true; i += 1; continue }
            if c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0B || c == 0x0C { i += 1; continue }
            if c == UInt8(ascii: "\\"), i + 1 < n, bytes[i + 1] == 0x0A { i += 2; continue }
            if c == UInt8(ascii: "/"), i + 1 < n, bytes[i + 1] == UInt8(ascii: "/") {
                i = skipLineComment(from: i)
                continue
            }
            if c == UInt8(ascii: "/"), i + 1 < n, bytes[i + 1] == UInt8(ascii: "*") {
                i = skipBlockComment(from: i)
                continue
            }
            if c == UInt8(ascii: "#") && atLineStart {
                let end = directiveEnd(from: i)
                tokens.append(CToken(kind: .directive, start: i, end: end))
                i = end
                continue
            }
            atLineStart = false
            let start = i
            if isIdentifierStart(c) {
                i += 1
                while i < n, isIdentifierBody(bytes[i]) { i += 1 }
                // An encoding prefix glued to a literal (L"..", u8'..') is one literal.
                if i < n, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") {
                    let quote = bytes[i]
                    i = literalEnd(from: i, quote: quote)
                    tokens.append(CToken(kind: quote == UInt8(ascii: "'") ? .character : .string, start: start, end: i))
                    continue
                }
                tokens.append(CToken(kind: .identifier, start: start, end: i))
            } else if isDigit(c) || (c == UInt8(ascii: ".") && i + 1 < n && isDigit(bytes[i + 1])) {
                i += 1
                while i < n {
                    let d = bytes[i]
                    if isIdentifierBody(d) || d == UInt8(ascii: ".") {
                        i += 1
                    } else if d == UInt8(ascii: "+") || d == UInt8(ascii: "-"), isExponentMarker(bytes[i - 1]) {
                        i += 1
                    } else {
                        break
                    }
                }
                tokens.append(CToken(kind: .number, start: start, end: i))
            } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                i = literalEnd(from: i, quote: c)
                tokens.append(CToken(kind: c == UInt8(ascii: "'") ? .character : .string, start: start, end: i))
            } else {
                i += punctuatorLength(at: i)
                tokens.append(CToken(kind: .punctuator, start: start, end: i))
            }
        }
        return tokens
    }

    // MARK: - Pieces

    private func skipLineComment(from start: Int) -> Int {
        var i = start + 2
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count, bytes[i + 1] == 0x0A { i += 2; continue }
            if bytes[i] == 0x0A { break }
            i += 1
        }
        return i
    }

    private func skipBlockComment(from start: Int) -> Int {
        var i = start + 2
        while i + 1 < bytes.count {
            if bytes[i] == UInt8(ascii: "*") && bytes[i + 1] == UInt8(ascii: "/") { return i + 2 }
            i += 1
        }
        return bytes.count
    }

    /// The end of a directive: the newline that is not escaped and not inside a block comment.
    private func directiveEnd(from start: Int) -> Int {
        var i = start
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\\"), i + 1 < bytes.count, bytes[i + 1] == 0x0A { i += 2; continue }
            if c == UInt8(ascii: "/"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "*") {
                i = skipBlockComment(from: i)
                continue
            }
            if c == UInt8(ascii: "/"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "/") {
                return skipLineComment(from: i)
            }
            if c == 0x0A { return i }
            i += 1
        }
        return i
    }

    /// The end of a string or character literal; an unterminated one stops at the line's end.
    private func literalEnd(from start: Int, quote: UInt8) -> Int {
        var i = start + 1
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\\") { i += 2; continue }
            if c == quote { return i + 1 }
            if c == 0x0A { return i }
            i += 1
        }
        return bytes.count
    }

    private static let threeCharacterPunctuators: [[UInt8]] = ["<<=", ">>=", "...", "->*"].map { Array($0.utf8) }
    private static let twoCharacterPunctuators: [[UInt8]] = [
        "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||",
        "*=", "/=", "%=", "+=", "-=", "&=", "^=", "|=", "##",
    ].map { Array($0.utf8) }

    private func punctuatorLength(at i: Int) -> Int {
        for candidate in Self.threeCharacterPunctuators where i + 3 <= bytes.count && bytes[i..<i + 3].elementsEqual(candidate) {
            return 3
        }
        for candidate in Self.twoCharacterPunctuators where i + 2 <= bytes.count && bytes[i..<i + 2].elementsEqual(candidate) {
            return 2
        }
        return 1
    }

    private func isIdentifierStart(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c >= 0x80
    }

    private func isIdentifierBody(_ c: UInt8) -> Bool {
        isIdentifierStart(c) || isDigit(c)
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    private func isExponentMarker(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || c == UInt8(ascii: "p") || c == UInt8(ascii: "P")
    }
}
