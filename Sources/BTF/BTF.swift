/// Decoded BTF: the kernel's (or an object's) type information.
///
/// `BTF` is a pure value: it decodes bytes and answers layout questions,
/// nothing else. Decoding validates the whole blob (bounds, IDs, string
/// offsets, cycles), so the queries afterwards are total and fast. Copies
/// share storage.
///
///     let vmlinux = try BTF(bytes: Array(contentsOf: "/sys/kernel/btf/vmlinux"))
///     let task = vmlinux.firstType(named: "task_struct", kind: .struct)!
///     vmlinux.size(of: task.id)    // 9792
public struct BTF: Sendable {
    let storage: BTFStorage

    /// Decodes `bytes`. For split BTF (`/sys/kernel/btf/<module>`), pass the
    /// kernel's BTF as `base`: the blob's IDs and string offsets continue
    /// after the base's.
    public init(bytes: [UInt8], base: BTF? = nil) throws(BTFError) {
        storage = try BTFDecoder(bytes: bytes, base: base).decode()
    }

    /// The blob as given to `init`.
    public var bytes: [UInt8] { storage.bytes }
    /// The decoded header.
    public var header: BTFHeader { storage.header }
    /// The base BTF, for split BTF.
    public var base: BTF? { storage.base }
    /// The number of type IDs: valid IDs are `0..<typeCount` (void and the
    /// base's types included).
    public var typeCount: Int { Int(storage.typeCount) }
    /// The IDs of the types this blob itself defines.
    public var ownTypeIDs: Range<UInt32> { storage.firstID..<storage.typeCount }

    /// The type with `id`, or nil when the ID is out of range. ID 0 is void.
    public func type(id: BTFTypeID) -> BTFType? {
        guard id.rawValue < storage.typeCount else { return nil }
        if id.rawValue == 0 { return BTFType(id: 0, kind: .void, nameOffset: 0, kindFlag: false, vlen: 0, sizeOrType: 0) }
        let record = rawType(id)
        return BTFType(
            id: id, kind: record.kind, nameOffset: record.nameOffset, kindFlag: record.kindFlag, vlen: record.vlen,
            sizeOrType: record.sizeOrType)
    }

    /// The raw record of type `id` (not void), for rewriting bytes in place.
    /// `byteOffset` is relative to the blob that defines the type (the base's
    /// blob for base IDs).
    public func rawRecord(of id: BTFTypeID) -> BTFRawType? {
        guard id.rawValue != 0, id.rawValue < storage.typeCount else { return nil }
        return rawType(id)
    }

    /// The payload words that follow type `id`'s 12-byte record (members,
    /// enumerators, parameters, ...), in host byte order.
    public func rawPayload(of id: BTFTypeID) -> ArraySlice<UInt32> {
        guard id.rawValue != 0, id.rawValue < storage.typeCount else { return [] }
        let (owner, index) = locate(id.rawValue)
        let record = owner.records[index]
        let words = record.kind.payloadWords
        let start = record.wordIndex + 3
        return owner.words[start..<start + words.fixed + words.perEntry * record.vlen]
    }

    // MARK: - Internal access

    /// The ID-indexed view of all types (base included) for the C writers.
    var flat: FlatBTF {
        storage.flat.withLock { flat in
            if let flat { return flat }
            let built = FlatBTF(self)
            flat = built
            return built
        }
    }

    /// The storage defining `id` and the record's index in it.
    @inline(__always)
    func locate(_ id: UInt32) -> (BTFStorage, Int) {
        var owner = storage
        while id < owner.firstID, let base = owner.base { owner = base.storage }
        return (owner, Int(id - owner.firstID))
    }

    @inline(__always)
    func rawType(_ id: BTFTypeID) -> BTFRawType {
        let (owner, index) = locate(id.rawValue)
        return owner.records[index]
    }

    /// Payload word `n` of type `id`.
    @inline(__always)
    func word(_ id: UInt32, _ n: Int) -> UInt32 {
        let (owner, index) = locate(id)
        return owner.words[owner.records[index].wordIndex + 3 + n]
    }

    @inline(__always)
    func kind(_ id: UInt32) -> BTFKind {
        id == 0 ? .void : rawType(BTFTypeID(id)).kind
    }
}
