import EBPF
import Testing

/// BPF_MAP_LOOKUP_BATCH against the real kernel: every entry comes back
/// once, with its value, the same as the key-by-key walk.
@Suite struct MapBatchTests {
    /// A hash map holding `count` keys i -> i * 3.
    static func filledHash(count: Int, keyType: UInt32.Type = UInt32.self, maxEntries: Int? = nil) throws -> Map {
        let map = try Map(type: .hash, name: "batch_hash", keySize: 4, valueSize: 8, maxEntries: maxEntries ?? count)
        for key in 0 ..< UInt32(count) { try map.update(key, UInt64(key) * 3) }
        return map
    }

    /// Decodes entries into key -> value.
    static func dictionary(_ entries: MapEntries) -> [UInt32: UInt64] {
        var result: [UInt32: UInt64] = [:]
        for index in 0 ..< entries.count {
            let key = entries.key(at: index).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let value = entries.value(at: index).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            #expect(result[key] == nil, "key \(key) came back twice")
            result[key] = value
        }
        return result
    }

    @Test func hashMapEveryEntryOnce() throws {
        let map = try Self.filledHash(count: 10_000)
        defer { map.close() }
        let batched = try map.lookupBatch(batchSize: 256)
        #expect(batched.count == 10_000)
        let values = Self.dictionary(batched)
        #expect(values.count == 10_000)
        #expect(values.allSatisfy { $0.value == UInt64($0.key) * 3 })
        #expect(Self.dictionary(try map.lookupEach()) == values)
    }

    @Test func tinyBatchesGrowPastFullBuckets() throws {
        // Batches of one entry: a bucket holding two keys answers ENOSPC until the buffers grow.
        let map = try Self.filledHash(count: 2_000, maxEntries: 4_000)
        defer { map.close() }
        let values = Self.dictionary(try map.lookupBatch(batchSize: 1))
        #expect(values.count == 2_000)
        #expect(values[1_999] == 5_997)
    }

    @Test func emptyMapHasNoEntries() throws {
        let map = try Map(type: .hash, name: "batch_empty", keySize: 4, valueSize: 8, maxEntries: 16)
        defer { map.close() }
        #expect(try map.lookupBatch().count == 0)
        #expect(try map.entries().count == 0)
        #expect(try map.lookupEach().count == 0)
    }

    @Test func arrayMapListsEveryIndex() throws {
        let map = try Map(type: .array, name: "batch_array", keySize: 4, valueSize: 8, maxEntries: 100)
        defer { map.close() }
        try map.update(UInt32(42), UInt64(7))
        let values = Self.dictionary(try map.lookupBatch(batchSize: 16))
        #expect(values.count == 100)
        #expect(values[42] == 7)
        #expect(values[0] == 0)
    }

    @Test func oneByteKeysLeaveRoomForTheBucketPosition() throws {
        // The kernel writes a 4-byte bucket number as the position, wider than the key.
        let map = try Map(type: .hash, name: "batch_u8", keySize: 1, valueSize: 8, maxEntries: 256)
        defer { map.close() }
        for key in 0 ..< 200 { try map.update(key: [UInt8(key)], value: Array(repeating: UInt8(key), count: 8)) }
        let entries = try map.lookupBatch(batchSize: 7)
        #expect(entries.count == 200)
        #expect(Set((0 ..< entries.count).map { entries.key(at: $0).first! }).count == 200)
        for index in 0 ..< entries.count {
            let key = entries.key(at: index).first!
            #expect(entries.value(at: index).allSatisfy { $0 == key })
        }
    }

    @Test func perCPUValuesComeOnePerPossibleCPU() throws {
        let cpus = try PossibleCPUs.count()
        let map = try Map(type: .perCPUHash, name: "batch_pcpu", keySize: 4, valueSize: 8, maxEntries: 64)
        defer { map.close() }
        for key in 0 ..< UInt32(10) {
            let values = (0 ..< cpus).map { cpu in withUnsafeBytes(of: UInt64(key) * 100 + UInt64(cpu)) { Array($0) } }
            try map.updatePerCPU(key: withUnsafeBytes(of: key) { Array($0) }, values: values)
        }
        let entries = try map.lookupBatch(batchSize: 3)
        #expect(entries.count == 10)
        #expect(entries.valueStride == cpus * 8)
        let each = try map.lookupEach()
        #expect(each.valueStride == entries.valueStride)
        for index in 0 ..< entries.count {
            let key = entries.key(at: index).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let value = Array(entries.value(at: index))
            for cpu in 0 ..< cpus {
                let slot = value[cpu * 8 ..< cpu * 8 + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                #expect(slot == key * 100 + UInt64(cpu))
            }
        }
    }

    @Test func mapsWithoutBatchLookupFallBackToKeyByKey() throws {
        // Stack trace maps have no batch operations: lookupBatch says so, entries() walks the keys.
        let map = try Map(type: .stackTrace, name: "batch_stacks", keySize: 4, valueSize: 8 * 16, maxEntries: 16)
        defer { map.close() }
        do {
            _ = try map.lookupBatch()
            Issue.record("a stack trace map answered a batch lookup")
        } catch {
            guard case .notSupported(let feature, _) = error else {
                Issue.record("expected notSupported, got \(error)")
                return
            }
            #expect(feature.contains("BPF_MAP_LOOKUP_BATCH"))
        }
        #expect(try map.entries().count == 0)
    }

    // MARK: - Delete, update, lookup and delete

    /// `keys` packed as u32 keys.
    static func packed(_ keys: [UInt32]) -> [UInt8] { keys.flatMap { key in withUnsafeBytes(of: key) { Array($0) } } }

    @Test func lookupAndDeleteBatchTakesEveryEntryAndEmptiesTheMap() throws {
        let map = try Self.filledHash(count: 5_000)
        defer { map.close() }
        let values = Self.dictionary(try map.lookupAndDeleteBatch(batchSize: 300))
        #expect(values.count == 5_000)
        #expect(values[4_999] == 14_997)
        #expect(try map.lookupEach().count == 0)
    }

    @Test func deleteBatchRemovesOnlyTheKeysGiven() throws {
        let map = try Self.filledHash(count: 100)
        defer { map.close() }
        try map.deleteBatch(keys: Self.packed(Array(0 ..< 60)))
        let left = Self.dictionary(try map.entries())
        #expect(left.keys.sorted() == Array(60 ..< 100))
        // A key that is not there is an error that names the map.
        let error = expectBPFError(.notFound) { try map.deleteBatch(keys: Self.packed([70, 5])) }
        #expect("\(String(describing: error))".contains("batch_hash"))
        #expect(Self.dictionary(try map.entries())[70] == nil)
    }

    @Test func updateBatchStoresEveryPair() throws {
        let map = try Map(type: .hash, name: "batch_update", keySize: 4, valueSize: 8, maxEntries: 1_000)
        defer { map.close() }
        let keys = Array(UInt32(0) ..< 1_000)
        let values = keys.flatMap { key in withUnsafeBytes(of: UInt64(key) + 1) { Array($0) } }
        try map.updateBatch(keys: Self.packed(keys), values: values)
        let stored = Self.dictionary(try map.entries())
        #expect(stored.count == 1_000 && stored.allSatisfy { $0.value == UInt64($0.key) + 1 })
        expectBPFError(.invalidArgument) { try map.updateBatch(keys: Self.packed([1, 2]), values: [UInt8](repeating: 0, count: 8)) }
        expectBPFError(.invalidArgument) { try map.deleteBatch(keys: [1, 2, 3]) }
    }

    @Test func arraysHaveNoLookupAndDeleteButClearZeroesThem() throws {
        let map = try Map(type: .array, name: "batch_arr_del", keySize: 4, valueSize: 8, maxEntries: 64)
        defer { map.close() }
        try map.update(UInt32(5), UInt64(9))
        expectBPFError(.notSupported) { try map.lookupAndDeleteBatch() }
        try map.clear()
        let values = Self.dictionary(try map.entries())
        #expect(values.count == 64 && values.values.allSatisfy { $0 == 0 })
    }

    @Test func clearEmptiesAHashInBatches() throws {
        let map = try Self.filledHash(count: 3_000)
        defer { map.close() }
        try map.clear()
        #expect(try map.keys().isEmpty)
    }
}
