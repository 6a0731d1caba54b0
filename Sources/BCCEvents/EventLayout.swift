import BTF

/// Checks that a Swift type mirrors a C struct's layout, so that records
/// can be loaded into it directly.
public enum EventLayout {
    /// Throws `EventDecodingError.layoutMismatch` unless `T` has the C
    /// struct's size (as its size or its stride) and, when `T` is a
    /// `BPFEvent`, every listed field has the C member's offset and size.
    public static func check<T: BitwiseCopyable>(
        _ type: T.Type, against btf: BTF, typeID: BTFTypeID
    ) throws(EventDecodingError) {
        let cName = btf.cSpelling(of: typeID)
        let swiftName = String(describing: T.self)
        func mismatch(_ detail: String) -> EventDecodingError {
            .layoutMismatch(swiftType: swiftName, cType: cName, detail: detail)
        }
        let layout = try EventDecodingError.compositeLayout(of: typeID, in: btf, name: cName)
        let size = MemoryLayout<T>.size, stride = MemoryLayout<T>.stride
        guard size == layout.size || stride == layout.size else {
            throw mismatch("size is \(size) bytes (stride \(stride)), the C struct has \(layout.size)")
        }
        guard let event = T.self as? any BPFEvent.Type else { return }
        for field in event.cFields {
            guard let member = layout.member(path: field.name) else {
                throw mismatch("field '\(field.name)': \(cName) has no such member")
            }
            if member.isBitfield {
                throw mismatch("field '\(field.name)': a bitfield in C; mirror its storage bytes instead")
            }
            if let offset = field.offset, offset != member.offset {
                throw mismatch("field '\(field.name)' is at offset \(offset), in C at \(member.offset)")
            }
            guard field.size == member.size else {
                throw mismatch("field '\(field.name)' has \(field.size) bytes, in C \(member.size)")
            }
        }
    }

    /// Checks `T` against the struct named `typeName` in `btf`.
    public static func check<T: BitwiseCopyable>(_ type: T.Type, against btf: BTF, typeName: String) throws(EventDecodingError) {
        guard let id = EventTypes.find(typeName, in: btf) else { throw .typeNotFound(name: typeName) }
        try check(type, against: btf, typeID: id)
    }
}

/// Loads records into a Swift type whose layout was checked against the C
/// struct once, when the decoder was made; loading allocates nothing.
public struct TypedEventDecoder<Event: BitwiseCopyable>: Sendable {
    /// The C type records are.
    public let cTypeName: String
    /// The C struct's size: shorter records are rejected.
    public let size: Int

    /// Checks `Event` against the struct `typeID` of `btf`.
    public init(_ type: Event.Type, btf: BTF, typeID: BTFTypeID) throws(EventDecodingError) {
        try EventLayout.check(type, against: btf, typeID: typeID)
        cTypeName = btf.cSpelling(of: typeID)
        // A checked type's size or stride is the C size; the larger covers both.
        size = max(btf.size(of: btf.resolved(typeID)) ?? 0, MemoryLayout<Event>.size)
    }

    /// Checks `Event` against the event struct the front end recorded for `table`.
    public init(_ type: Event.Type, btf: BTF, table: String) throws(EventDecodingError) {
        guard let id = EventTypes.recorded(forTable: table, in: btf) else { throw .eventTypeNotRecorded(table: table) }
        try self.init(type, btf: btf, typeID: id)
    }

    /// The record as an `Event`; a record shorter than the C struct is an error.
    @inlinable
    public func decode(_ record: UnsafeRawBufferPointer) throws(EventDecodingError) -> Event {
        guard record.count >= size else { throw .recordTooShort(type: cTypeName, size: record.count, needed: size) }
        return record.loadUnaligned(as: Event.self)
    }
}
