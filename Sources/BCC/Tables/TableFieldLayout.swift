// Where a map key's fields are, from the program's BTF.
import BTF

/// How to read one scalar or char-array field out of a key or value.
struct TableField: Sendable {
    enum Encoding: Sendable {
        case signed, unsigned, charArray, other
    }

    var name: String
    var offset: Int
    var size: Int
    var encoding: Encoding

    /// True for fields that hold a number.
    var isInteger: Bool { (encoding == .signed || encoding == .unsigned) && [1, 2, 4, 8].contains(size) }

    /// The field's bytes within `bytes`, or nil if they run past its end.
    func slice(of bytes: [UInt8]) -> ArraySlice<UInt8>? {
        guard offset >= 0, size > 0, offset + size <= bytes.count else { return nil }
        return bytes[offset ..< offset + size]
    }

    /// The field as a histogram bucket.
    func bucket(in bytes: [UInt8]) -> HistogramBucket? {
        guard let slice = slice(of: bytes) else { return nil }
        switch encoding {
        case .signed where isInteger: return .signed(Self.signed(slice))
        case .unsigned where isInteger: return .unsigned(Self.unsigned(slice))
        case .charArray: return .text(String(decoding: slice.prefix(while: { $0 != 0 }), as: UTF8.self))
        default: return .bytes(Array(slice))
        }
    }

    /// The field as an integer (little-endian), when it is one.
    func integer(in bytes: [UInt8]) -> Int64? {
        guard isInteger, let slice = slice(of: bytes) else { return nil }
        return encoding == .signed ? Self.signed(slice) : Int64(truncatingIfNeeded: Self.unsigned(slice))
    }

    static func unsigned(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    static func signed(_ bytes: ArraySlice<UInt8>) -> Int64 {
        let raw = unsigned(bytes)
        let shift = UInt64(64 - 8 * bytes.count)
        return Int64(bitPattern: raw << shift) >> Int64(shift)
    }
}

extension TableField {
    /// Describes type `id` of `btf` placed at `offset`.
    init(name: String, offset: Int, type id: BTFTypeID, btf: BTF) {
        self.name = name
        self.offset = offset
        let resolved = btf.resolved(id)
        size = btf.size(of: resolved) ?? 0
        switch btf.kind(of: resolved) {
        case .int:
            encoding = btf.intEncoding(of: resolved)?.isSigned == true ? .signed : .unsigned
        case .enum, .enum64:
            encoding = .signed
        case .pointer:
            encoding = .unsigned
        case .array:
            let element = btf.array(of: resolved).map { btf.resolved($0.elementType) }
            encoding = element.map { btf.kind(of: $0) == .int && btf.size(of: $0) == 1 } == true ? .charArray : .other
        default:
            encoding = .other
        }
    }
}
