import BTF

/// Decodes records as a C struct described by BTF.
///
/// The struct's layout (every member's offset and kind, from
/// ``BTF/valueLayout(of:)``) is computed once, when the decoder is made;
/// `decode` then only reads the record's bytes, each read within the
/// record's length.
///
///     let decoder = try EventDecoder(btf: objectBTF, typeName: "struct data_t")
///     let event = try decoder.decode(data)   // data: UnsafeRawBufferPointer
///     event.pid?.int
public struct EventDecoder: Sendable {
    /// The C type records decode as (`struct data_t`).
    public let typeName: String
    /// The struct's size: records shorter than this are rejected.
    public let size: Int
    /// The struct's BTF type ID (typedefs resolved).
    public let typeID: BTFTypeID
    /// The members as C names them, but a trailing flexible array.
    private let fields: [BTFMemberLayout]
    /// A flexible array at the end of the struct: the rest of the record.
    private let trailing: BTFMemberLayout?

    /// More decoded values than this for one record is a malformed type.
    package static let valueLimit = 1 << 20

    /// A decoder for the struct or union `typeID` of `btf` (typedefs and
    /// qualifiers are followed).
    public init(btf: BTF, typeID: BTFTypeID) throws(EventDecodingError) {
        typeName = btf.cSpelling(of: typeID)
        let layout = try EventDecodingError.compositeLayout(of: typeID, in: btf, name: typeName.isEmpty ? "type \(typeID)" : typeName)
        guard layout.valueCount <= Self.valueLimit else { throw .tooManyValues(type: typeName, limit: Self.valueLimit) }
        size = layout.size
        self.typeID = layout.type
        var fields = layout.fields
        if let last = fields.last, !last.isBitfield, case let .array(_, 0, stride) = last.value, stride > 0 || last.value.isText {
            trailing = fields.removeLast()
        } else {
            trailing = nil
        }
        self.fields = fields
    }

    /// A decoder for the type named `typeName`: `struct data_t`, `union u`,
    /// or a bare name (a struct, union or typedef, in that order).
    public init(btf: BTF, typeName: String) throws(EventDecodingError) {
        guard let id = EventTypes.find(typeName, in: btf) else { throw .typeNotFound(name: typeName) }
        try self.init(btf: btf, typeID: id)
    }

    /// A decoder for the event struct the front end recorded for `table`
    /// in the object's BTF (the pointee of the `__bcc_event__TABLE` global).
    public init(btf: BTF, table: String) throws(EventDecodingError) {
        guard let id = EventTypes.recorded(forTable: table, in: btf) else { throw .eventTypeNotRecorded(table: table) }
        try self.init(btf: btf, typeID: id)
    }

    // MARK: - Decoding

    /// Decodes one record. A record shorter than the struct is an error;
    /// bytes beyond it are ignored, except by a trailing flexible array.
    public func decode(_ record: UnsafeRawBufferPointer) throws(EventDecodingError) -> DecodedEvent {
        guard record.count >= size else { throw .recordTooShort(type: typeName, size: record.count, needed: size) }
        var decoded = Self.decode(fields, at: 0, in: record, capacity: fields.count + (trailing == nil ? 0 : 1))
        if let trailing {
            decoded.append(EventField(name: trailing.name, value: Self.rest(trailing, in: record)))
        }
        return DecodedEvent(typeName: typeName, fields: decoded)
    }

    /// Decodes one record held in an array.
    public func decode(_ record: [UInt8]) throws(EventDecodingError) -> DecodedEvent {
        // `withUnsafeBytes` cannot forward a typed throw; decode the result after.
        let result = record.withUnsafeBytes { bytes in Result { () throws(EventDecodingError) in try decode(bytes) } }
        return try result.get()
    }

    /// `member` of the value at the start of `bytes`, or nil when the bytes
    /// end before it: how table keys and values decode.
    package static func value(of member: BTFMemberLayout, in bytes: UnsafeRawBufferPointer) -> EventValue? {
        guard member.bitOffset >= 0, member.offset + member.size <= bytes.count else { return nil }
        return value(of: member, at: 0, in: bytes)
    }

    // Below, every offset lies inside the record: the layout keeps each
    // member inside its struct, and the record is at least the struct's size.

    private static func decode(
        _ fields: [BTFMemberLayout], at base: Int, in record: UnsafeRawBufferPointer, capacity: Int? = nil
    ) -> [EventField] {
        // Indices, not `map` or `for in`: each member is read in place, not copied.
        var decoded: [EventField] = []
        decoded.reserveCapacity(capacity ?? fields.count)
        for index in fields.indices {
            decoded.append(EventField(name: fields[index].name, value: value(of: fields[index], at: base, in: record)))
        }
        return decoded
    }

    private static func value(of member: borrowing BTFMemberLayout, at base: Int, in record: UnsafeRawBufferPointer) -> EventValue {
        let offset = base + member.offset
        guard member.isBitfield else { return value(member.value, at: offset, in: record) }
        let bytes = UnsafeRawBufferPointer(rebasing: record[offset...])
        let bit = member.bitOffset % 8, width = member.bitfieldWidth
        switch member.value {
        case let .enumeration(enumeration):
            let value = BPFEventStorage.bitfield(bytes: bytes, bit: bit, width: width, isSigned: enumeration.isSigned)
            return .enumeration(name: enumeration.name(of: UInt64(bitPattern: value)), value: value)
        case let .integer(integer) where integer.isSigned:
            return .signed(BPFEventStorage.bitfield(bytes: bytes, bit: bit, width: width, isSigned: true))
        default:
            return .unsigned(UInt64(bitPattern: BPFEventStorage.bitfield(bytes: bytes, bit: bit, width: width, isSigned: false)))
        }
    }

    private static func value(_ layout: borrowing BTFValueLayout, at offset: Int, in record: UnsafeRawBufferPointer) -> EventValue {
        switch layout {
        case let .integer(integer):
            if integer.size > 8 { return .bytes(Array(record[offset..<offset + integer.size])) }
            if integer.isBool { return .bool(unsignedInteger(integer.size, at: offset, in: record) != 0) }
            return integer.isSigned
                ? .signed(signedInteger(integer.size, at: offset, in: record))
                : .unsigned(unsignedInteger(integer.size, at: offset, in: record))
        case let .enumeration(enumeration):
            let value = enumeration.isSigned
                ? signedInteger(enumeration.size, at: offset, in: record)
                : Int64(bitPattern: unsignedInteger(enumeration.size, at: offset, in: record))
            return .enumeration(name: enumeration.name(of: UInt64(bitPattern: value)), value: value)
        case let .float(size):
            switch size {
            case 4: return .float(Double(Float(bitPattern: record.loadUnaligned(fromByteOffset: offset, as: UInt32.self))))
            case 8: return .float(Double(bitPattern: record.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            default: return .bytes(Array(record[offset..<offset + size]))
            }
        case .pointer:
            return .pointer(unsignedInteger(8, at: offset, in: record))
        case let .array(element, count, stride):
            if layout.isText { return .text(BPFEventStorage.text(bytes: UnsafeRawBufferPointer(rebasing: record[offset..<offset + count]))) }
            return .array((0..<count).map { value(element, at: offset + $0 * stride, in: record) })
        case let .composite(composite):
            return .structure(decode(composite.fields, at: offset, in: record))
        }
    }

    /// A trailing flexible array: as many elements as the record holds past
    /// the struct, or the text there.
    private static func rest(_ member: BTFMemberLayout, in record: UnsafeRawBufferPointer) -> EventValue {
        let start = min(member.offset, record.count)
        guard case let .array(element, _, stride) = member.value, !member.value.isText else {
            return .text(BPFEventStorage.text(bytes: UnsafeRawBufferPointer(rebasing: record[start...])))
        }
        let count = (record.count - start) / stride
        return .array((0..<count).map { value(element, at: start + $0 * stride, in: record) })
    }

    // MARK: - Scalars

    /// The little-endian unsigned integer of `size` bytes (1, 2, 4 or 8) at `offset`.
    package static func unsignedInteger(_ size: Int, at offset: Int, in record: UnsafeRawBufferPointer) -> UInt64 {
        switch size {
        case 1: UInt64(record[offset])
        case 2: UInt64(UInt16(littleEndian: record.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
        case 4: UInt64(UInt32(littleEndian: record.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        default: UInt64(littleEndian: record.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
    }

    /// The little-endian signed integer of `size` bytes (1, 2, 4 or 8) at `offset`.
    package static func signedInteger(_ size: Int, at offset: Int, in record: UnsafeRawBufferPointer) -> Int64 {
        let bits = unsignedInteger(size, at: offset, in: record)
        let unused = 64 - size * 8
        return Int64(bitPattern: bits << unused) >> unused
    }
}
