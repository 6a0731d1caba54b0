import EBPF
import Testing
@testable import BCC

/// bcc's batch table calls against the real kernel, and items(), clear()
/// and the histogram counts that use them.
@Suite struct TableBatchTests {
    static func u32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }
    static func u64(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }
    static func number(_ bytes: [UInt8]) -> UInt64 { bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) } }

    /// A hash table of `count` u32 keys i -> i + 1000 (u64), written with items_update_batch.
    static func filled(_ count: Int, name: String) throws -> Table {
        let map = try Map(type: .hash, name: name, keySize: 4, valueSize: 8, maxEntries: 10_000)
        let table = Table(name: name, map: map)
        let keys = (0 ..< UInt32(count)).map(u32)
        try table.itemsUpdateBatch(keys: keys, values: (0 ..< UInt64(count)).map { u64($0 + 1000) })
        return table
    }

    @Test func updateThenLookupBatchAndItemsAgree() throws {
        let table = try Self.filled(5_000, name: "tb_lookup")
        let batched = try table.itemsLookupBatch()
        #expect(batched.count == 5_000)
        #expect(batched.allSatisfy { Self.number($0.value) == Self.number($0.key) + 1000 })
        let items = try table.items()
        #expect(Dictionary(uniqueKeysWithValues: items.map { (Self.number($0.key), Self.number($0.value)) })
                == Dictionary(uniqueKeysWithValues: batched.map { (Self.number($0.key), Self.number($0.value)) }))
        #expect(try table.values().count == 5_000)
    }

    @Test func lookupAndDeleteBatchReturnsEverythingOnce() throws {
        let table = try Self.filled(2_000, name: "tb_take")
        let taken = try table.itemsLookupAndDeleteBatch()
        #expect(Set(taken.map { Self.number($0.key) }) == Set(0 ..< 2_000))
        #expect(try table.items().isEmpty)
    }

    @Test func deleteBatchWithKeysAndWithout() throws {
        let table = try Self.filled(100, name: "tb_delete")
        try table.itemsDeleteBatch((0 ..< UInt32(40)).map(Self.u32))
        #expect(Set(try table.items().map { Self.number($0.key) }) == Set(40 ..< 100))
        try table.itemsDeleteBatch()
        #expect(try table.keys().isEmpty)
        let refilled = try Self.filled(10, name: "tb_clear")
        try refilled.clear()
        #expect(try refilled.keys().isEmpty)
    }

    @Test func badBatchArgumentsNameTheTable() throws {
        let table = try Self.filled(4, name: "tb_bad")
        #expect { try table.itemsUpdateBatch(keys: [Self.u32(1)], values: []) } throws: { error in
            guard case BCCError.invalidUse(let object, _) = error else { return false }
            return object.contains("tb_bad")
        }
        #expect { try table.itemsUpdateBatch(keys: [[1, 2]], values: [Self.u64(1)]) } throws: { error in
            guard case BCCError.invalidUse(_, let detail) = error else { return false }
            return detail.contains("key 0 has 2 bytes")
        }
        #expect { try table.itemsDeleteBatch([Self.u32(77)]) } throws: { error in
            guard case BCCError.kernel(_, let object, .notFound(let what)) = error else { return false }
            return object.contains("tb_bad") && what.contains("0x4d000000")
        }
    }

    @Test func histogramCountsSumPerCPUSlotsFromBatches() throws {
        let cpus = try PossibleCPUs.count()
        let map = try Map(type: .perCPUHash, name: "tb_hist", keySize: 4, valueSize: 8, maxEntries: 64)
        let table = Table(name: "dist", map: map)
        for slot in 0 ..< UInt32(5) {
            try table.setPerCPU(Self.u32(slot), (0 ..< cpus).map { Self.u64(UInt64(slot) * 10 + UInt64($0)) })
        }
        let counts = Dictionary(uniqueKeysWithValues: try table.histogramItems().map { (Self.number($0.key), $0.count) })
        let cpuSum = UInt64((0 ..< cpus).reduce(0, +))
        #expect(counts == Dictionary(uniqueKeysWithValues: (0 ..< UInt64(5)).map { ($0, $0 * 10 * UInt64(cpus) + cpuSum) }))
    }
}
