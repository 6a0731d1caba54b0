// C char arrays in event records, decoded the way bcc's ctypes does.

/// Helpers for the fixed-size C strings in BPF event records.
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
}
