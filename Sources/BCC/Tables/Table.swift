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
public final class Table: Sendable {
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
    /// The program the table belongs to (nil for a table over a bare map);
    /// ring and perf buffers opened on the table are polled through it.
    public let bpf: BPF?
    /// The decoder of the event struct recorded for this table (Table+Event.swift).
    let events: EventDecoderSlot

    /// Wraps `map`; `btf` with `keyType` and `valueType` describes its keys
    /// and values (the program's BTF, from its map definition).
    public init(name: String, map: Map, btf: BTF? = nil, keyType: BTFTypeID? = nil, valueType: BTFTypeID? = nil,
                bpf: BPF? = nil) {
        self.name = name
        self.map = map
        self.btf = btf
        self.keyType = keyType
        self.valueType = valueType
        self.bpf = bpf
        events = EventDecoderSlot(btf: btf, table: name)
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

    /// Every (key, value) pair. Keys deleted between listing and lookup are
    /// skipped, as in bcc.
    public func items() throws(BCCError) -> [(key: [UInt8], value: [UInt8])] {
        var result: [(key: [UInt8], value: [UInt8])] = []
        for key in try keys() {
            if let value = try self[key] { result.append((key, value)) }
        }
        return result
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

    /// Runs a map operation, wrapping a kernel error with the table's name.
    func kernel<T>(_ operation: String, _ body: () throws -> T) throws(BCCError) -> T {
        do {
            return try body()
        } catch let error as BCCError {
            throw error
        } catch {
            throw BCCError.kernel(operation: operation, object: "table '\(name)'", cause: error)
        }
    }
}
