/// The check that a program is C source text at all, before anything parses
/// it: a binary file (an object, an executable, random bytes) would give
/// clang's and the rewriter's diagnostics by the megabyte, each quoting raw
/// control bytes, so it is refused with one message that says where.
package enum SourceText {
    /// Throws `DialectError.compileFailed` with one diagnostic at the first
    /// byte that no C source has: NUL, a control character other than tab,
    /// newline, vertical tab, form feed and carriage return, DEL, or a byte
    /// that is not UTF-8.
    package static func check(_ bytes: [UInt8], fileName: String) throws(DialectError) {
        guard let (offset, what) = firstNonText(bytes) else { return }
        let location = LineIndex(bytes).location(of: offset)
        throw .compileFailed(file: fileName, diagnostics: [CompileDiagnostic(
            file: fileName, line: location.line, column: location.column, severity: .error,
            message: "\(what) at byte offset \(offset): this is binary data, not C source text", sourceLine: "")])
    }

    /// The offset of the first byte that is not text, and what it is.
    static func firstNonText(_ bytes: [UInt8]) -> (offset: Int, what: String)? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                if encoded.count == 1, let byte = encoded.first, isControl(byte) {
                    return (offset, "control byte 0x\(hex(byte))")
                }
                offset += encoded.count
            case .error:
                return (offset, "byte 0x\(hex(bytes[offset])), which is not UTF-8,")
            case .emptyInput:
                return nil
            }
        }
    }

    private static func isControl(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x09...0x0D: false  // \t \n \v \f \r
        case 0x00...0x1F, 0x7F: true
        default: false
        }
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }
}
