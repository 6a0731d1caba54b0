// MARK: - Typed access

/// Typed keys and values: any trivially copyable Swift type whose layout
/// matches the C type. A type matches a size when its `MemoryLayout.size` is
/// at most that size and its stride at least (C's sizeof counts trailing
/// padding, Swift's size does not).
extension Map {
    /// The value stored under `key`, or nil.
    public func lookup<Key: BitwiseCopyable, Value: BitwiseCopyable>(_ key: Key, as valueType: Value.Type) throws(BPFError) -> Value? {
        try Map.checkFits(Value.self, size: valueSize, role: "value", operation: "lookup in", object: objectName)
        guard let bytes = try lookup(key: try encodeKey(key, operation: "lookup in")) else { return nil }
        return Map.decode(bytes, as: Value.self)
    }

    /// Stores `value` under `key`.
    public func update<Key: BitwiseCopyable, Value: BitwiseCopyable>(_ key: Key, _ value: Value,
                                                                      flags: UpdateFlags = .any) throws(BPFError) {
        try Map.checkFits(Value.self, size: valueSize, role: "value", operation: "update", object: objectName)
        try update(key: try encodeKey(key, operation: "update"), value: Map.encode(value, size: valueSize), flags: flags)
    }

    /// Removes `key`; throws `BPFError.notFound` if it is not there.
    public func delete<Key: BitwiseCopyable>(_ key: Key) throws(BPFError) {
        try delete(key: try encodeKey(key, operation: "delete from"))
    }

    /// Every key, decoded as `Key`.
    public func keys<Key: BitwiseCopyable>(as keyType: Key.Type) throws(BPFError) -> [Key] {
        try Map.checkFits(Key.self, size: keySize, role: "key", operation: "iterate keys of", object: objectName)
        return try keys().map { Map.decode($0, as: Key.self) }
    }

    /// The per-CPU values stored under `key`, one per possible CPU, or nil.
    public func lookupPerCPU<Key: BitwiseCopyable, Value: BitwiseCopyable>(_ key: Key, as valueType: Value.Type) throws(BPFError) -> [Value]? {
        try Map.checkFits(Value.self, size: valueSize, role: "value", operation: "lookup in", object: objectName)
        return try lookupPerCPU(key: try encodeKey(key, operation: "lookup in"))?.map { Map.decode($0, as: Value.self) }
    }

    /// Stores one value per possible CPU under `key`.
    public func updatePerCPU<Key: BitwiseCopyable, Value: BitwiseCopyable>(_ key: Key, _ values: [Value],
                                                                            flags: UpdateFlags = .any) throws(BPFError) {
        try Map.checkFits(Value.self, size: valueSize, role: "value", operation: "update", object: objectName)
        try updatePerCPU(key: try encodeKey(key, operation: "update"),
                         values: values.map { Map.encode($0, size: valueSize) }, flags: flags)
    }

    private func encodeKey<Key: BitwiseCopyable>(_ key: Key, operation: String) throws(BPFError) -> [UInt8] {
        try Map.checkFits(Key.self, size: keySize, role: "key", operation: operation, object: objectName)
        return Map.encode(key, size: keySize)
    }

    static func checkFits<T>(_ type: T.Type, size: Int, role: String, operation: String, object: String) throws(BPFError) {
        guard MemoryLayout<T>.size <= size, size <= MemoryLayout<T>.stride else {
            throw BPFError.invalidArgument(operation: operation, object: object, detail:
                "\(T.self) is \(MemoryLayout<T>.size) bytes (stride \(MemoryLayout<T>.stride)), the map's \(role)s are \(size) bytes")
        }
    }

    /// The bytes of `value`, zero-padded to `size`.
    static func encode<T: BitwiseCopyable>(_ value: T, size: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: size)
        withUnsafeBytes(of: value) { source in
            bytes.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: source.prefix(size))) }
        }
        return bytes
    }

    /// A `T` from the first `MemoryLayout<T>.size` bytes (checked to be there by `checkFits`).
    static func decode<T: BitwiseCopyable>(_ bytes: [UInt8], as type: T.Type) -> T {
        bytes.withUnsafeBytes { $0.loadUnaligned(as: T.self) }
    }
}
