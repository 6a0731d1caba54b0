// A table viewed through Swift key and value types.
import EBPF

/// A ``Table`` whose keys and values are Swift values laid out like the C
/// types (integers, or structs with the same fields in the same order and no
/// padding the C side lacks). Made by ``Table/typed(key:value:)``, which checks
/// the sizes against the map.
public struct TypedTable<Key: BitwiseCopyable, Value: BitwiseCopyable> {
    /// The underlying table.
    public let table: Table

    init(table: Table) {
        self.table = table
    }

    /// The value under `key`, or nil when there is none.
    public subscript(key: Key) -> Value? {
        get throws(BCCError) { try table[bytes(of: key, count: table.keySize)].map(value(from:)) }
    }

    /// Stores `value` under `key`.
    public func set(_ key: Key, _ value: Value, flags: UpdateFlags = .any) throws(BCCError) {
        try table.set(bytes(of: key, count: table.keySize), bytes(of: value, count: table.valueSize), flags: flags)
    }

    /// Removes `key`; throws if it is not there.
    public func delete(_ key: Key) throws(BCCError) {
        try table.delete(bytes(of: key, count: table.keySize))
    }

    /// Every key.
    public func keys() throws(BCCError) -> [Key] {
        try table.keys().map(key(from:))
    }

    /// Every (key, value) pair.
    public func items() throws(BCCError) -> [(key: Key, value: Value)] {
        try table.items().map { (key(from: $0.key), value(from: $0.value)) }
    }

    /// Every value.
    public func values() throws(BCCError) -> [Value] {
        try table.values().map(value(from:))
    }

    /// Empties the table (zeroes an array).
    public func clear() throws(BCCError) {
        try table.clear()
    }

    /// Each possible CPU's value under `key` (per-CPU maps), or nil.
    public func perCPU(_ key: Key) throws(BCCError) -> [Value]? {
        try table.perCPUValues(bytes(of: key, count: table.keySize))?.map(value(from:))
    }

    /// Stores one value per possible CPU under `key` (per-CPU maps).
    public func setPerCPU(_ key: Key, _ values: [Value], flags: UpdateFlags = .any) throws(BCCError) {
        try table.setPerCPU(bytes(of: key, count: table.keySize),
                            values.map { bytes(of: $0, count: table.valueSize) }, flags: flags)
    }

    // MARK: - Conversions

    private func bytes<T: BitwiseCopyable>(of value: T, count: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        withUnsafeBytes(of: value) { source in
            result.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: source.prefix(count))) }
        }
        return result
    }

    private func key(from bytes: [UInt8]) -> Key {
        bytes.withUnsafeBytes { $0.loadUnaligned(as: Key.self) }
    }

    private func value(from bytes: [UInt8]) -> Value {
        bytes.withUnsafeBytes { $0.loadUnaligned(as: Value.self) }
    }
}

extension TypedTable where Value: FixedWidthInteger {
    /// The sum over CPUs of the per-CPU values under `key` (bcc's `sum()`),
    /// wrapping on overflow like the C counters; nil when there is no entry.
    public func sum(_ key: Key) throws(BCCError) -> Value? {
        try perCPU(key)?.reduce(0, &+)
    }
}

extension Table {
    /// A view of this table with Swift key and value types.
    ///
    /// - Throws: ``BCCError/invalidUse(object:detail:)`` when a type's size
    ///   (or, for a type with trailing padding, its stride) differs from the
    ///   map's key or value size, or from the size of its BTF key or value type.
    public func typed<Key: BitwiseCopyable, Value: BitwiseCopyable>(
        key: Key.Type, value: Value.Type
    ) throws(BCCError) -> TypedTable<Key, Value> {
        try Self.checkLayout(Key.self, size: keySize, what: "key size", table: name)
        try Self.checkLayout(Value.self, size: valueSize, what: "value size", table: name)
        if let btf, let keyType, let size = btf.size(of: keyType) {
            try Self.checkLayout(Key.self, size: size, what: "BTF key type", table: name)
        }
        if let btf, let valueType, let size = btf.size(of: valueType) {
            try Self.checkLayout(Value.self, size: size, what: "BTF value type", table: name)
        }
        return TypedTable(table: self)
    }

    static func checkLayout<T>(_ type: T.Type, size: Int, what: String, table: String) throws(BCCError) {
        let layoutMatches = MemoryLayout<T>.size == size || MemoryLayout<T>.stride == size
        guard layoutMatches else {
            throw .invalidUse(
                object: "table '\(table)'",
                detail: "\(T.self) is \(MemoryLayout<T>.size) bytes but the map's \(what) is \(size) bytes")
        }
    }
}
