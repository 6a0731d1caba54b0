// C char arrays in event records, decoded the way bcc's ctypes does, and
// the printf fields bcc's tools print them in.
import Glibc

/// Helpers for the fixed-size C strings in BPF event records and the
/// printf-style fields (`%-Ns`, `%Ns`, `%.Nf`, `%0Nd`) tools print.
public enum CText {
    /// The bytes up to the first NUL, decoded as UTF-8 (invalid bytes replaced).
    public static func string<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
    }

    /// `text` left-aligned in a field of `width` characters (printf's `%-Ns`).
    public static func left(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// `text` right-aligned in a field of `width` characters (printf's `%Ns`).
    public static func right(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    /// `value` with `decimals` digits after the point (printf's `%.Nf`),
    /// rounded by the C library's printf itself, so that the digits are
    /// those bcc's Python prints.
    public static func fixed(_ value: Double, _ decimals: Int) -> String {
        let format = "%.\(max(0, decimals))f"
        var buffer = [CChar](repeating: 0, count: 48)
        var length = withVaList([value]) { vsnprintf(&buffer, buffer.count, format, $0) }
        if length >= buffer.count {
            // Only huge magnitudes need more: retry once at the exact size.
            buffer = [CChar](repeating: 0, count: Int(length) + 1)
            length = withVaList([value]) { vsnprintf(&buffer, buffer.count, format, $0) }
        }
        guard length > 0 else { return "" }
        return String(decoding: buffer[..<Int(length)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `value` in decimal with at least `digits` digits, zero-padded (`%0Nd`).
    public static func zeroPadded(_ value: Int, _ digits: Int) -> String {
        let text = String(value.magnitude)
        let padding = String(repeating: "0", count: max(0, digits - text.count - (value < 0 ? 1 : 0)))
        return (value < 0 ? "-" : "") + padding + text
    }
}
