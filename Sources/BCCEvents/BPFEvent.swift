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
/// them in: bitfields, char arrays, unions, misaligned members. The event
/// decoder reads records with the same functions.
public enum BPFEventStorage {
    /// Bits `bit..<bit+width` (little-endian, bit 0 is the low bit of the
    /// first byte) of `storage`'s bytes, sign-extended when `isSigned`.
    /// Bits outside the storage read as zero.
    @inlinable
    public static func bitfield<Storage>(in storage: Storage, bit: Int, width: Int, isSigned: Bool) -> Int64 {
        withUnsafeBytes(of: storage) { bitfield(bytes: $0, bit: bit, width: width, isSigned: isSigned) }
    }

    /// Bits `bit..<bit+width` of `bytes` (at most 64), as
    /// ``bitfield(in:bit:width:isSigned:)`` reads them from a stored value.
    @inlinable
    public static func bitfield(bytes: UnsafeRawBufferPointer, bit: Int, width: Int, isSigned: Bool) -> Int64 {
        let width = min(width, 64)
        guard width > 0, bit >= 0 else { return 0 }
        let first = bit / 8, shift = bit % 8
        var bits: UInt64 = 0
        for index in 0..<(shift + width + 7) / 8 where first + index < bytes.count {
            let byte = UInt64(bytes[first + index])
            let position = index * 8 - shift
            bits |= position >= 0 ? byte << UInt64(position) : byte >> UInt64(-position)
        }
        let unused = UInt64(64 - width)
        let aligned = bits << unused
        return isSigned ? Int64(bitPattern: aligned) >> Int64(unused) : Int64(bitPattern: aligned >> unused)
    }

    /// The text of a C `char` array stored as a tuple: the bytes up to the
    /// first NUL, as UTF-8 (invalid sequences replaced).
    @inlinable
    public static func text<Storage>(of storage: Storage) -> String {
        withUnsafeBytes(of: storage) { text(bytes: $0) }
    }

    /// The text of the C `char` array in `bytes`, up to its first NUL.
    @inlinable
    public static func text(bytes: UnsafeRawBufferPointer) -> String {
        var end = 0
        while end < bytes.count, bytes[end] != 0 { end += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[0..<end]), as: UTF8.self)
    }

    /// The value of type `T` stored at the start of `storage` (a union's
    /// bytes, or a member the C layout puts at an offset Swift cannot).
    @inlinable
    public static func load<Storage, T: BitwiseCopyable>(_ type: T.Type, from storage: Storage) -> T {
        withUnsafeBytes(of: storage) { $0.loadUnaligned(as: T.self) }
    }
}
