// bcc's batch table operations (reference guide: items_lookup_batch,
// items_lookup_and_delete_batch, items_delete_batch, items_update_batch).
import EBPF

extension Table {
    // MARK: - bcc's batch calls

    /// Every (key, value) pair, read with BPF_MAP_LOOKUP_BATCH, a system call
    /// per 4,096 entries (bcc's `items_lookup_batch`; Linux 5.6+, hash and
    /// array maps). Per-CPU maps give every possible CPU's value, each in a
    /// slot of `map.perCPUSlotSize` bytes.
    public func itemsLookupBatch() throws(BCCError) -> [(key: [UInt8], value: [UInt8])] {
        try kernel("batch lookup") { try pairs(map.lookupBatch()) }
    }

    /// Every (key, value) pair, deleted as read with
    /// BPF_MAP_LOOKUP_AND_DELETE_BATCH (bcc's `items_lookup_and_delete_batch`):
    /// what the program adds meanwhile is either returned or kept, never lost.
    public func itemsLookupAndDeleteBatch() throws(BCCError) -> [(key: [UInt8], value: [UInt8])] {
        try kernel("batch lookup and delete") { try pairs(map.lookupAndDeleteBatch()) }
    }

    /// Deletes `keys` with one BPF_MAP_DELETE_BATCH, or every entry when
    /// `keys` is nil (bcc's `items_delete_batch`).
    public func itemsDeleteBatch(_ keys: [[UInt8]]? = nil) throws(BCCError) {
        guard let keys else {
            _ = try kernel("batch delete") { try map.lookupAndDeleteBatch() }
            return
        }
        let packed = try pack(keys, size: keySize, what: "key")
        try kernel("batch delete") { try map.deleteBatch(keys: packed) }
    }

    /// Stores `values[i]` under `keys[i]` with one BPF_MAP_UPDATE_BATCH
    /// (bcc's `items_update_batch`): as many values as keys, at least one
    /// and at most the table's capacity.
    public func itemsUpdateBatch(keys: [[UInt8]], values: [[UInt8]]) throws(BCCError) {
        guard keys.count == values.count, !keys.isEmpty, keys.count <= maxEntries else {
            throw .invalidUse(object: "table '\(name)'", detail:
                "items_update_batch needs as many values as keys, between 1 and \(maxEntries): got \(keys.count) keys and \(values.count) values")
        }
        let stride = try kernel("batch update") { try map.kernelValueSize() }
        let packedKeys = try pack(keys, size: keySize, what: "key")
        let packedValues = try pack(values, size: stride, what: "value")
        try kernel("batch update") { try map.updateBatch(keys: packedKeys, values: packedValues) }
    }

    // MARK: - Helpers

    /// The entries as pairs of arrays.
    func pairs(_ entries: MapEntries) -> [(key: [UInt8], value: [UInt8])] {
        var result: [(key: [UInt8], value: [UInt8])] = []
        result.reserveCapacity(entries.count)
        for index in 0..<entries.count {
            result.append((Array(entries.key(at: index)), Array(entries.value(at: index))))
        }
        return result
    }

    private func pack(_ items: [[UInt8]], size: Int, what: String) throws(BCCError) -> [UInt8] {
        var packed: [UInt8] = []
        packed.reserveCapacity(items.count * size)
        for (index, item) in items.enumerated() {
            guard item.count == size else {
                throw .invalidUse(object: "table '\(name)'", detail: "\(what) \(index) has \(item.count) bytes, the table's \(what)s have \(size)")
            }
            packed += item
        }
        return packed
    }
}
