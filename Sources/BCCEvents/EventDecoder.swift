import BTF

/// Decodes records as a C struct described by BTF.
///
/// The decoding plan (every member's offset and kind) is computed once,
/// when the decoder is made; `decode` then only reads the record's bytes,
/// each read checked against the record's length.
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
    private let fields: [PlannedField]

    /// A decoder for the struct or union `typeID` of `btf` (typedefs and
    /// qualifiers are followed).
    public init(btf: BTF, typeID: BTFTypeID) throws(EventDecodingError) {
        let resolved = btf.resolved(typeID)
        typeName = btf.cSpelling(of: typeID)
        guard btf.kind(of: resolved).isComposite, let size = btf.size(of: resolved) else {
            throw .notAStruct(type: typeName.isEmpty ? "type \(typeID)" : typeName, kind: "\(btf.kind(of: resolved))")
        }
        self.size = size
        self.typeID = resolved
        var planner = EventPlanner(btf: btf, rootName: typeName)
        fields = try planner.rootPlan(resolved)
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
        return DecodedEvent(typeName: typeName, fields: Self.decode(fields, at: 0, in: record))
    }

    /// Decodes one record held in an array.
    public func decode(_ record: [UInt8]) throws(EventDecodingError) -> DecodedEvent {
        // `withUnsafeBytes` cannot forward a typed throw; decode the result after.
        let result = record.withUnsafeBytes { bytes in Result { () throws(EventDecodingError) in try decode(bytes) } }
        return try result.get()
    }

    // Every offset below was checked against the struct's size when the
    // plan was built, and the record is at least that long.

    private static func decode(_ fields: [PlannedField], at base: Int, in record: UnsafeRawBufferPointer) -> [EventField] {
        fields.map { EventField(name: $0.name, value: value($0.plan, at: base + $0.offset, in: record)) }
    }

    private static func value(_ plan: EventPlan, at offset: Int, in record: UnsafeRawBufferPointer) -> EventValue {
        switch plan {
        case let .signed(size):
            return .signed(signedInteger(size, at: offset, in: record))
        case let .unsigned(size):
            return .unsigned(unsignedInteger(size, at: offset, in: record))
        case let .bool(size):
            return .bool(unsignedInteger(size, at: offset, in: record) != 0)
        case let .enumeration(size, isSigned, names):
            let value = isSigned
                ? signedInteger(size, at: offset, in: record)
                : Int64(bitPattern: unsignedInteger(size, at: offset, in: record))
            return .enumeration(name: names.names[UInt64(bitPattern: value)], value: value)
        case let .float(size):
            return .float(size == 4
                ? Double(Float(bitPattern: record.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                : Double(bitPattern: record.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
        case .pointer:
            return .pointer(record.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        case let .bitfield(shift, width, isSigned, names):
            let value = bitfield(shift: shift, width: width, isSigned: isSigned, at: offset, in: record)
            if let names { return .enumeration(name: names.names[UInt64(bitPattern: value)], value: value) }
            return isSigned ? .signed(value) : .unsigned(UInt64(bitPattern: value))
        case let .text(count):
            return .text(text(UnsafeRawBufferPointer(rebasing: record[offset..<offset + count])))
        case .trailingText:
            return .text(text(UnsafeRawBufferPointer(rebasing: record[min(offset, record.count)...])))
        case let .array(element, count, stride):
            return .array((0..<count).map { value(element, at: offset + $0 * stride, in: record) })
        case let .trailingArray(element, stride):
            let count = max(0, record.count - offset) / stride
            return .array((0..<count).map { value(element, at: offset + $0 * stride, in: record) })
        case let .composite(fields):
            return .structure(decode(fields, at: offset, in: record))
        case let .bytes(size):
            return .bytes(Array(record[offset..<offset + size]))
        }
    }

    /// The bytes up to the first NUL, as UTF-8.
    private static func text(_ bytes: UnsafeRawBufferPointer) -> String {
        let end = bytes.firstIndex(of: 0) ?? bytes.count
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[0..<end]), as: UTF8.self)
    }

    private static func unsignedInteger(_ size: Int, at offset: Int, in record: UnsafeRawBufferPointer) -> UInt64 {
        switch size {
        case 1: UInt64(record[offset])
        case 2: UInt64(UInt16(littleEndian: record.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
        case 4: UInt64(UInt32(littleEndian: record.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        default: UInt64(littleEndian: record.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
    }

    private static func signedInteger(_ size: Int, at offset: Int, in record: UnsafeRawBufferPointer) -> Int64 {
        let bits = unsignedInteger(size, at: offset, in: record)
        let unused = 64 - size * 8
        return Int64(bitPattern: bits << unused) >> unused
    }

    /// Bits `shift..<shift+width` of the little-endian bytes at `offset`.
    private static func bitfield(shift: Int, width: Int, isSigned: Bool, at offset: Int, in record: UnsafeRawBufferPointer) -> Int64 {
        var bits: UInt64 = 0
        for index in 0..<(shift + width + 7) / 8 {
            let byte = UInt64(record[offset + index])
            let position = index * 8 - shift
            bits |= position >= 0 ? byte << position : byte >> -position
        }
        let unused = 64 - width
        let aligned = bits << unused
        return isSigned ? Int64(bitPattern: aligned) >> unused : Int64(bitPattern: aligned >> unused)
    }
}
