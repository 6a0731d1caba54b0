// What generated event declarations (`swift-bcc types`) conform to and
// call. This file depends on the standard library only, so generated
// declarations can also be compiled together with it, without BCC.

/// A Swift struct that mirrors a C event struct byte for byte, so records
/// load into it without decoding: `openRingBuffer(as: data_t.self)`.
///
/// Opening a ring checks `MemoryLayout<Self>` and `cFields` against the C
/// struct's BTF; a mismatch is an error then, never garbage later.
/// `swift-bcc types FILE.c` writes conforming declarations.
public protocol BPFEvent: BitwiseCopyable {
    /// The C type mirrored (`struct data_t`, or a typedef's name).
    static var cTypeName: String { get }
    /// The stored properties that mirror C members, where this Swift type
    /// puts them: compute offsets with `MemoryLayout<Self>.offset(of:)`.
    static var cFields: [BPFEventField] { get }
}

/// Where a Swift type stores the mirror of one C member.
public struct BPFEventField: Sendable, Equatable, CustomStringConvertible {
    /// The C member's name (members of anonymous structs and unions by
    /// their own names, as C reaches them).
    public var name: String
    /// The property's offset in the Swift type, in bytes (nil when Swift
    /// cannot tell, e.g. a computed property's key path).
    public var offset: Int?
    /// The property's size in bytes.
    public var size: Int

    /// A member `name` stored at `offset` in `size` bytes.
    public init(_ name: String, offset: Int?, size: Int) {
        self.name = name
        self.offset = offset
        self.size = size
    }

    /// The member `name` mirrored by the stored property at `keyPath`.
    public init<Root, Value>(_ name: String, _ keyPath: KeyPath<Root, Value>) {
        self.init(name, offset: MemoryLayout<Root>.offset(of: keyPath), size: MemoryLayout<Value>.size)
    }

    /// `name@offset+size`.
    public var description: String { "\(name)@\(offset.map(String.init) ?? "?")+\(size)" }
}

/// Reading C values out of the raw bytes that generated declarations store
/// them in: bitfields, char arrays, unions, misaligned members.
public enum BPFEventStorage {
    /// Bits `bit..<bit+width` (little-endian, bit 0 is the low bit of the
    /// first byte) of `storage`'s bytes, sign-extended when `isSigned`.
    /// Bits outside the storage read as zero.
    @inlinable
    public static func bitfield<Storage>(in storage: Storage, bit: Int, width: Int, isSigned: Bool) -> Int64 {
        withUnsafeBytes(of: storage) { bytes in
            var bits: UInt64 = 0
            for index in 0..<min(width, 64) where bit + index < bytes.count * 8 {
                let position = bit + index
                bits |= UInt64(bytes[position / 8] >> UInt8(position % 8) & 1) << UInt64(index)
            }
            let unused = UInt64(64 - min(width, 64))
            return isSigned ? Int64(bitPattern: bits << unused) >> Int64(unused) : Int64(bitPattern: bits)
        }
    }

    /// The text of a C `char` array stored as a tuple: the bytes up to the
    /// first NUL, as UTF-8 (invalid sequences replaced).
    @inlinable
    public static func text<Storage>(of storage: Storage) -> String {
        withUnsafeBytes(of: storage) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// The value of type `T` stored at the start of `storage` (a union's
    /// bytes, or a member the C layout puts at an offset Swift cannot).
    @inlinable
    public static func load<Storage, T: BitwiseCopyable>(_ type: T.Type, from storage: Storage) -> T {
        withUnsafeBytes(of: storage) { $0.loadUnaligned(as: T.self) }
    }
}
