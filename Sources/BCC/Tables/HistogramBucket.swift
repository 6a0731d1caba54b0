// The section key of a keyed histogram, decoded from the map key's first field.
import BTF

/// The first field of a histogram key struct (bcc's "bucket"): a number, the
/// text of a char array, or other bytes.
public enum HistogramBucket: Hashable, Sendable, CustomStringConvertible {
    /// A signed integer or enum field.
    case signed(Int64)
    /// An unsigned integer or pointer field.
    case unsigned(UInt64)
    /// A char array, up to its first NUL.
    case text(String)
    /// Any other field, as raw bytes.
    case bytes([UInt8])

    /// The field as bcc prints a section by default (Python's `repr`):
    /// numbers in decimal, char arrays as `b'...'`.
    public var description: String {
        switch self {
        case .signed(let value): String(value)
        case .unsigned(let value): String(value)
        case .text(let text): Self.bytesRepr(Array(text.utf8))
        case .bytes(let bytes): Self.bytesRepr(bytes)
        }
    }

    /// The field as an integer, when it is one.
    public var integer: Int64? {
        switch self {
        case .signed(let value): value
        case .unsigned(let value): Int64(exactly: value)
        default: nil
        }
    }

    /// Python's repr of a bytes object: b'...' with quotes and unprintables escaped.
    static func bytesRepr(_ bytes: [UInt8]) -> String {
        let useDoubleQuotes = bytes.contains(UInt8(ascii: "'")) && !bytes.contains(UInt8(ascii: "\""))
        let quote: UInt8 = useDoubleQuotes ? UInt8(ascii: "\"") : UInt8(ascii: "'")
        var text = "b" + String(UnicodeScalar(quote))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\\"): text += "\\\\"
            case quote: text += "\\" + String(UnicodeScalar(quote))
            case UInt8(ascii: "\t"): text += "\\t"
            case UInt8(ascii: "\n"): text += "\\n"
            case UInt8(ascii: "\r"): text += "\\r"
            case 0x20..<0x7f: text += String(UnicodeScalar(byte))
            default:
                let hex = String(byte, radix: 16)
                text += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return text + String(UnicodeScalar(quote))
    }
}

extension HistogramBucket {
    /// The bucket that `member` of `key` holds, decoded as events are: enums
    /// by value, byte arrays as text (bcc's char arrays); nil when the key
    /// is too short.
    init?(_ member: BTFMemberLayout, in key: [UInt8]) {
        guard let value = key.withUnsafeBytes({ EventDecoder.value(of: member, in: $0) }) else { return nil }
        let bytes = key[member.offset..<member.offset + member.size]
        switch value {
        case let .signed(number), let .enumeration(_, number): self = .signed(number)
        case let .unsigned(number), let .pointer(number): self = .unsigned(number)
        case let .bool(flag): self = .unsigned(flag ? 1 : 0)
        case let .text(text): self = .text(text)
        default:
            if case let .array(.integer(element), _, _) = member.value, element.size == 1 {
                self = .text(String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self))
            } else {
                self = .bytes(Array(bytes))
            }
        }
    }
}
