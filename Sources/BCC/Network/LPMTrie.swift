import BPFObject
import EBPF

/// A BPF_LPM_TRIE key: a prefix length in bits, then the data the prefix is
/// of (an IPv4 address as 4 bytes in network order, an IPv6 address as 16),
/// laid out as the kernel's `struct bpf_lpm_trie_key`: 4 bytes of length and
/// the data right after, whatever the data's alignment.
public struct LPMTrieKey<Data: BitwiseCopyable> {
    /// How many leading bits of `data` the entry matches.
    public var prefixLength: UInt32
    /// The address or other bit string.
    public var data: Data

    /// A key for the first `prefixLength` bits of `data`.
    public init(prefixLength: UInt32, data: Data) {
        self.prefixLength = prefixLength
        self.data = data
    }

    /// The key as the kernel reads it.
    public var bytes: [UInt8] {
        withUnsafeBytes(of: prefixLength) { Array($0) } + withUnsafeBytes(of: data) { Array($0.prefix(MemoryLayout<Data>.size)) }
    }

    /// Decodes a key the kernel returned.
    init(bytes: [UInt8]) {
        prefixLength = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        data = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4, as: Data.self) }
    }
}

/// A BPF_LPM_TRIE table with Swift key data and value types: longest-prefix
/// match from user space, as the program's `lookup` does in the kernel.
/// Like its ``Table``, not `Sendable`.
public struct LPMTrie<Data: BitwiseCopyable, Value: BitwiseCopyable> {
    /// The underlying table.
    public let table: Table

    /// Stores `value` for the first `prefixLength` bits of `data`.
    public func set(_ data: Data, prefixLength: UInt32, _ value: Value) throws(BCCError) {
        try checkPrefix(prefixLength)
        try table.set(LPMTrieKey(prefixLength: prefixLength, data: data).bytes, withUnsafeBytes(of: value) { Array($0.prefix(MemoryLayout<Value>.size)) })
    }

    /// Removes the entry for exactly this prefix; throws if there is none.
    public func delete(_ data: Data, prefixLength: UInt32) throws(BCCError) {
        try checkPrefix(prefixLength)
        try table.delete(LPMTrieKey(prefixLength: prefixLength, data: data).bytes)
    }

    /// The value of the longest prefix that matches all of `data`, or nil.
    public func longestMatch(_ data: Data) throws(BCCError) -> Value? {
        let key = LPMTrieKey(prefixLength: UInt32(MemoryLayout<Data>.size * 8), data: data)
        return try table[key.bytes].map { $0.withUnsafeBytes { $0.loadUnaligned(as: Value.self) } }
    }

    /// Every entry: its prefix and value.
    public func items() throws(BCCError) -> [(key: LPMTrieKey<Data>, value: Value)] {
        try table.items().map { (LPMTrieKey(bytes: $0.key), $0.value.withUnsafeBytes { $0.loadUnaligned(as: Value.self) }) }
    }

    private func checkPrefix(_ prefixLength: UInt32) throws(BCCError) {
        guard prefixLength <= MemoryLayout<Data>.size * 8 else {
            throw .invalidUse(object: "table '\(table.name)'",
                              detail: "prefix length \(prefixLength) is longer than the \(MemoryLayout<Data>.size * 8) bits of \(Data.self)")
        }
    }
}

extension Table {
    /// This BPF_LPM_TRIE with keys of a prefix length and `data`, and values of `value`.
    ///
    /// - Throws: ``BCCError/invalidUse(object:detail:)`` for another table
    ///   type, or when 4 + the size of `Data` is not the key size (or `Value`'s
    ///   size not the value size).
    public func lpmTrie<Data: BitwiseCopyable, Value: BitwiseCopyable>(data: Data.Type, value: Value.Type) throws(BCCError) -> LPMTrie<Data, Value> {
        guard type == .lpmTrie else {
            throw .invalidUse(object: "table '\(name)'", detail: "is a \(type), not an LPM trie")
        }
        guard 4 + MemoryLayout<Data>.size == keySize else {
            throw .invalidUse(object: "table '\(name)'", detail:
                "keys are \(keySize) bytes: a 4-byte prefix length and \(keySize - 4) bytes of data, but \(Data.self) is \(MemoryLayout<Data>.size) bytes")
        }
        try Self.checkLayout(Value.self, size: valueSize, what: "value size", table: name)
        return LPMTrie(table: self)
    }
}
