// b["name"]: a BPF map as bcc's Python table presents it.
import BPFObject
import BTF
import EBPF

/// A BPF map of a loaded program, reached as `b["name"]`, with bcc's table
/// operations: lookup, update, delete, keys, values, items and clear, per-CPU
/// values, histograms and stack walks.
///
/// Keys and values are bytes here; ``typed(key:value:)`` gives a view in Swift
/// types whose sizes are checked against the map (and against its BTF types
/// where the object has them).
public final class Table {
    /// The table's name in the C program.
    public let name: String
    /// The kernel map.
    public let map: Map
    /// The program's BTF, describing ``keyType`` and ``valueType``.
    public let btf: BTF?
    /// BTF type of the keys, where the map definition names one.
    public let keyType: BTFTypeID?
    /// BTF type of the values, where the map definition names one.
    public let valueType: BTFTypeID?
    /// The declaration in the program (nil for a table over a bare map).
    public let definition: TableDefinition?
    /// The decoder of the event struct recorded for this table, planned once
    /// when the table is made, or why there is none (Table+Event.swift).
    let eventDecoding: Result<EventDecoder, EventDecodingError>
    /// A BPF_RINGBUF_OUTPUT table's hidden per-CPU drop counter.
    let lostCounter: Map?
    /// The event loop of the program the table belongs to, held weakly: a
    /// callback that captures its table must not keep the program alive.
    private weak let eventLoop: EventLoop?
    /// The program's file name, for errors after it is closed.
    private let program: String?

    /// Wraps `map`; `btf` with `keyType` and `valueType` describes its keys
    /// and values (the program's BTF, from its map definition).
    public convenience init(name: String, map: Map, btf: BTF? = nil, keyType: BTFTypeID? = nil, valueType: BTFTypeID? = nil) {
        self.init(name: name, map: map, btf: btf, keyType: keyType, valueType: valueType,
                  definition: nil, lostCounter: nil, eventLoop: nil)
    }

    /// A table of a loaded program, made once by its ``BPF`` object.
    init(name: String, map: Map, btf: BTF?, keyType: BTFTypeID?, valueType: BTFTypeID?,
         definition: TableDefinition?, lostCounter: Map?, eventLoop: EventLoop?) {
        self.name = name
        self.map = map
        self.btf = btf
        self.keyType = keyType
        self.valueType = valueType
        self.definition = definition
        self.lostCounter = lostCounter
        self.eventLoop = eventLoop
        program = eventLoop?.program
        eventDecoding = if let btf {
            Result { () throws(EventDecodingError) in try EventDecoder(btf: btf, table: name) }
        } else {
            .failure(.eventTypeNotRecorded(table: name))
        }
    }

    /// The event loop of this table's program, or ``BCCError/closed(program:)``.
    func openEventLoop() throws(BCCError) -> EventLoop {
        guard let eventLoop, !eventLoop.isClosed else { throw .closed(program: program ?? name) }
        return eventLoop
    }

    /// The map's kind.
    public var type: MapType { map.type }
    /// Bytes per key.
    public var keySize: Int { map.keySize }
    /// Bytes per value (per CPU, for per-CPU maps).
    public var valueSize: Int { map.valueSize }
    /// The map's capacity.
    public var maxEntries: Int { map.maxEntries }

    // MARK: - Bytes

    /// The value under `key`, or nil when there is none (bcc raises KeyError).
    /// For per-CPU maps use ``perCPUValues(_:)``.
    public subscript(key: [UInt8]) -> [UInt8]? {
        get throws(BCCError) { try kernel("lookup") { try map.lookup(key: key) } }
    }

    /// Stores `value` under `key` (bcc's `table[key] = leaf`).
    public func set(_ key: [UInt8], _ value: [UInt8], flags: UpdateFlags = .any) throws(BCCError) {
        try kernel("update") { try map.update(key: key, value: value, flags: flags) }
    }

    /// Removes `key` (bcc's `del table[key]`); throws if it is not there.
    public func delete(_ key: [UInt8]) throws(BCCError) {
        try kernel("delete") { try map.delete(key: key) }
    }

    /// Every key, in the kernel's order.
    public func keys() throws(BCCError) -> [[UInt8]] {
        try kernel("iterate") { try map.keys() }
    }

    /// Every (key, value) pair: read in batches (BPF_MAP_LOOKUP_BATCH) where
    /// the kernel has them for this map, else key by key, where keys deleted
    /// between listing and lookup are skipped, as in bcc. For per-CPU maps
    /// use ``itemsLookupBatch()`` or ``perCPUValues(_:)``.
    public func items() throws(BCCError) -> [(key: [UInt8], value: [UInt8])] {
        if map.type.isPerCPU {
            // Throws lookup's error, which names the per-CPU calls.
            for key in try keys() { _ = try self[key] }
            return []
        }
        return try kernel("read") { try pairs(map.entries()) }
    }

    /// Every value, in key order.
    public func values() throws(BCCError) -> [[UInt8]] {
        try items().map(\.value)
    }

    /// Empties the table: deletes every key, or zeroes every element of an array.
    public func clear() throws(BCCError) {
        try kernel("clear") { try map.clear() }
    }

    /// Zeroes every value, keeping the keys (bcc's `zero()`).
    public func zero() throws(BCCError) {
        if map.type.isPerCPU {
            let cpus = try kernel("count CPUs for") { try PossibleCPUs.count() }
            let zeros = [[UInt8]](repeating: [UInt8](repeating: 0, count: valueSize), count: cpus)
            for key in try keys() { try kernel("update") { try map.updatePerCPU(key: key, values: zeros) } }
        } else {
            let zeros = [UInt8](repeating: 0, count: valueSize)
            for key in try keys() { try set(key, zeros) }
        }
    }

    // MARK: - Per-CPU

    /// Each possible CPU's value under `key`, or nil when there is none.
    public func perCPUValues(_ key: [UInt8]) throws(BCCError) -> [[UInt8]]? {
        try kernel("lookup") { try map.lookupPerCPU(key: key) }
    }

    /// Stores one value per possible CPU under `key`.
    public func setPerCPU(_ key: [UInt8], _ values: [[UInt8]], flags: UpdateFlags = .any) throws(BCCError) {
        try kernel("update") { try map.updatePerCPU(key: key, values: values, flags: flags) }
    }

    // MARK: - Errors

    /// Runs a map operation, wrapping a kernel error with the table's name;
    /// a table of a closed program throws ``BCCError/closed(program:)``.
    func kernel<T>(_ operation: String, _ body: () throws -> T) throws(BCCError) -> T {
        if program != nil { _ = try openEventLoop() }
        return try BCCError.wrapping(operation, "table '\(name)'", body)
    }
}
