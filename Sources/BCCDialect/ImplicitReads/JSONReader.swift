// A pull reader over JSON bytes, made for clang's -ast-dump=json: the
// caller asks for the value it expects (object, array, string, integer)
// and skips what it does not need. Any input is an error or a value, never
// a trap or an out-of-bounds read: every access is checked against the end.

/// Why JSON could not be read, with the byte offset where it went wrong.
package struct JSONReadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Byte offset of the problem in the input.
    package var offset: Int
    /// What was wrong there.
    package var reason: String

    package var description: String { "malformed JSON at byte \(offset): \(reason)" }
}

/// Reads JSON values one at a time from a byte buffer.
package struct JSONReader {
    /// The kind of the next value.
    package enum ValueKind: Equatable, Sendable {
        case object, array, string, number, bool, null
    }

    private let bytes: [UInt8]
    /// The offset of the next unread byte.
    package private(set) var position = 0

    /// A reader at the start of `bytes`.
    package init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    // MARK: - Structure

    /// The kind of the next value (after whitespace), or an error at the end or on a byte no value starts with.
    package mutating func peekKind() throws(JSONReadError) -> ValueKind {
        skipWhitespace()
        guard position < bytes.count else { throw error("unexpected end of input") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: throw error("no JSON value starts with byte 0x\(String(bytes[position], radix: 16))")
        }
    }

    /// Reads an object, calling `member` with each key; `member` must read or skip the value.
    package mutating func readObject(_ member: (inout JSONReader, String) throws(JSONReadError) -> Void) throws(JSONReadError) {
        skipWhitespace()
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if consume(UInt8(ascii: "}")) { return }
        while true {
            skipWhitespace()
            let key = try readString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            try member(&self, key)
            skipWhitespace()
            if consume(UInt8(ascii: ",")) { continue }
            try expect(UInt8(ascii: "}"))
            return
        }
    }

    /// Reads an array, calling `element` for each element; `element` must read or skip it.
    package mutating func readArray(_ element: (inout JSONReader) throws(JSONReadError) -> Void) throws(JSONReadError) {
        skipWhitespace()
        try expect(UInt8(ascii: "["))
        skipWhitespace()
        if consume(UInt8(ascii: "]")) { return }
        while true {
            try element(&self)
            skipWhitespace()
            if consume(UInt8(ascii: ",")) { continue }
            try expect(UInt8(ascii: "]"))
            return
        }
    }

    // MARK: - Scalars

    /// Reads a string, decoding escapes (an unpaired surrogate becomes U+FFFD).
    package mutating func readString() throws(JSONReadError) -> String {
        skipWhitespace()
        try expect(UInt8(ascii: "\""))
        let start = position
        // Fast path: no escapes.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: bytes[start..<position], as: UTF8.self)
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("control byte in a string") }
            position += 1
        }
        var scalars = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if byte == UInt8(ascii: "\"") { return String(decoding: scalars, as: UTF8.self) }
            if byte < 0x20 { throw error("control byte in a string") }
            guard byte == UInt8(ascii: "\\") else { scalars.append(byte); continue }
            guard position < bytes.count else { break }
            let escaped = bytes[position]
            position += 1
            switch escaped {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escaped)
            case UInt8(ascii: "b"): scalars.append(0x08)
            case UInt8(ascii: "f"): scalars.append(0x0C)
            case UInt8(ascii: "n"): scalars.append(0x0A)
            case UInt8(ascii: "r"): scalars.append(0x0D)
            case UInt8(ascii: "t"): scalars.append(0x09)
            case UInt8(ascii: "u"):
                var value = try readHex4()
                if (0xD800..<0xDC00).contains(value), position + 1 < bytes.count,
                   bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                    position += 2
                    let low = try readHex4()
                    value = (0xDC00..<0xE000).contains(low) ? 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00) : 0xFFFD
                }
                let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
                scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
            default:
                throw error("unknown escape \\\(Character(Unicode.Scalar(escaped)))")
            }
        }
        throw error("unterminated string")
    }

    /// Reads a number; returns it when it is an integer that fits in Int, else nil (the number is consumed).
    package mutating func readInteger() throws(JSONReadError) -> Int? {
        skipWhitespace()
        let start = position
        if consume(UInt8(ascii: "-")) {}
        guard position < bytes.count, isDigit(bytes[position]) else { throw error("expected a number") }
        var value = 0
        var fits = true
        let negative = bytes[start] == UInt8(ascii: "-")
        while position < bytes.count, isDigit(bytes[position]) {
            let digit = Int(bytes[position] - UInt8(ascii: "0"))
            let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowAdd) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            if overflowTimes || overflowAdd { fits = false } else { value = next }
            position += 1
        }
        var integral = true
        if consume(UInt8(ascii: ".")) {
            integral = false
            guard position < bytes.count, isDigit(bytes[position]) else { throw error("expected digits after '.'") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            integral = false
            position += 1
            if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
            guard position < bytes.count, isDigit(bytes[position]) else { throw error("expected an exponent") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        return integral && fits ? value : nil
    }

    /// Reads `true` or `false`.
    package mutating func readBool() throws(JSONReadError) -> Bool {
        skipWhitespace()
        if consumeWord("true") { return true }
        if consumeWord("false") { return false }
        throw error("expected true or false")
    }

    /// Reads an integer when the next value is a number, else skips the value and returns nil.
    package mutating func integerIfNumber() throws(JSONReadError) -> Int? {
        guard try peekKind() == .number else { try skipValue(); return nil }
        return try readInteger()
    }

    /// Reads a string when the next value is one, else skips the value and returns nil.
    package mutating func stringIfString() throws(JSONReadError) -> String? {
        guard try peekKind() == .string else { try skipValue(); return nil }
        return try readString()
    }

    /// Reads a bool when the next value is one, else skips the value and returns nil.
    package mutating func boolIfBool() throws(JSONReadError) -> Bool? {
        guard try peekKind() == .bool else { try skipValue(); return nil }
        return try readBool()
    }

    // MARK: - Skipping

    /// Skips one value of any kind, nested ones included, without recursion.
    package mutating func skipValue() throws(JSONReadError) {
        var depth = 0
        repeat {
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of input") }
            switch bytes[position] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                position += 1
                skipWhitespace()
                // A container with contents goes on with its first value; an empty one closes at once.
                guard position < bytes.count, bytes[position] == UInt8(ascii: "}") || bytes[position] == UInt8(ascii: "]") else {
                    continue
                }
                try closeContainer(depth: &depth)
            case UInt8(ascii: "\""):
                _ = try readString()
            case UInt8(ascii: "t"), UInt8(ascii: "f"):
                _ = try readBool()
            case UInt8(ascii: "n"):
                guard consumeWord("null") else { throw error("expected null") }
            default:
                _ = try readInteger()
            }
            // After a value inside a container: a key separator, a comma or the close.
            while depth > 0 {
                skipWhitespace()
                guard position < bytes.count else { throw error("unexpected end of input") }
                let byte = bytes[position]
                if byte == UInt8(ascii: ":") || byte == UInt8(ascii: ",") {
                    position += 1
                    break
                }
                try closeContainer(depth: &depth)
            }
        } while depth > 0
    }

    private mutating func closeContainer(depth: inout Int) throws(JSONReadError) {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "}") || bytes[position] == UInt8(ascii: "]") else {
            throw error("expected ',' or a closing bracket")
        }
        position += 1
        depth -= 1
    }

    /// Skips trailing whitespace and fails when anything else is left.
    package mutating func expectEnd() throws(JSONReadError) {
        skipWhitespace()
        guard position == bytes.count else { throw error("unexpected bytes after the value") }
    }

    // MARK: - Bytes

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    private mutating func expect(_ byte: UInt8) throws(JSONReadError) {
        guard consume(byte) else { throw error("expected '\(Character(Unicode.Scalar(byte)))'") }
    }

    private mutating func consumeWord(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        let matches = word.withUTF8Buffer { bytes[position..<(position + count)].elementsEqual($0) }
        if matches { position += count }
        return matches
    }

    private mutating func readHex4() throws(JSONReadError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("bad hex digit in \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private func error(_ reason: String) -> JSONReadError { JSONReadError(offset: position, reason: reason) }
}
