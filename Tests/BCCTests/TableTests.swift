import CBPF
import EBPF
import Glibc
import Testing
import TestSupport
@testable import BCC

/// Tables over maps created from Swift; the BPF side is covered by the
/// program tests that load C.
@Suite struct TableTests {
    @Test func hashRoundTrip() throws {
        var mapID: UInt32 = 0
        do {
            let map = try Map(type: .hash, name: "tbl_hash", keySize: 4, valueSize: 8, maxEntries: 16)
            mapID = try map.id
            let table = Table(name: "counts", map: map)
            let counts = try table.typed(key: UInt32.self, value: UInt64.self)
            try counts.set(7, 70)
            try counts.set(9, 90)
            #expect(try counts[7] == 70)
            #expect(try counts[8] == nil)
            #expect(try counts.keys().sorted() == [7, 9])
            #expect(try counts.items().map { [UInt64($0.key), $0.value] }.sorted { $0[0] < $1[0] } == [[7, 70], [9, 90]])
            #expect(try counts.values().sorted() == [70, 90])
            // The byte-level view sees the same entry.
            #expect(try table[[7, 0, 0, 0]] == [70, 0, 0, 0, 0, 0, 0, 0])
            try counts.delete(7)
            #expect(try counts[7] == nil)
            #expect { try counts.delete(7) } throws: { error in
                guard case BCCError.kernel("delete", "table 'counts'", .notFound) = error else { return false }
                return true
            }
            try counts.clear()
            #expect(try counts.keys().isEmpty)
        }
        // The table held the only reference to its map.
        expectKernelObjectsFreed(maps: [mapID])
    }

    @Test func arrayClearZeroes() throws {
        let map = try Map(type: .array, name: "tbl_array", keySize: 4, valueSize: 4, maxEntries: 4)
        let values = try Table(name: "values", map: map).typed(key: UInt32.self, value: Int32.self)
        try values.set(2, -5)
        #expect(try values.values() == [0, 0, -5, 0])
        try values.clear()
        #expect(try values.values() == [0, 0, 0, 0])
        #expect(try values.keys() == [0, 1, 2, 3])
    }

    @Test func perCPUValuesAndTheirSum() throws {
        let cpus = try PossibleCPUs.count()
        let map = try Map(type: .perCPUHash, name: "tbl_pcpu", keySize: 8, valueSize: 8, maxEntries: 8)
        let table = try Table(name: "pcpu", map: map).typed(key: UInt64.self, value: UInt64.self)
        let perCPU = (0..<cpus).map { UInt64($0 + 1) * 10 }
        try table.setPerCPU(3, perCPU)
        #expect(try table.perCPU(3) == perCPU)
        #expect(try table.sum(3) == perCPU.reduce(0, +))
        #expect(try table.sum(4) == nil)
        let arrayMap = try Map(type: .perCPUArray, name: "tbl_pcpua", keySize: 4, valueSize: 4, maxEntries: 2)
        let array = Table(name: "pcpua", map: arrayMap)
        try array.zero()
        #expect(try array.perCPUValues([1, 0, 0, 0]) == Array(repeating: [0, 0, 0, 0], count: cpus))
    }

    @Test func lruEvictsTheOldest() throws {
        let map = try Map(type: .lruHash, name: "tbl_lru", keySize: 4, valueSize: 4, maxEntries: 64)
        let table = try Table(name: "lru", map: map).typed(key: UInt32.self, value: UInt32.self)
        // On one CPU, so that no other CPU's local free list holds entries back.
        try onThisCPU {
            for key in UInt32(0) ..< 1000 { try table.set(key, key * 2) }
        }
        let keys = try table.keys()
        #expect(!keys.isEmpty && keys.count <= 64)
        // Lookups from user space do not mark entries used, so the kernel
        // evicts in insertion order: what is left is the newest keys.
        #expect(keys.allSatisfy { $0 >= 1000 - 64 }, "survivors: \(keys.sorted())")
        #expect(try table[0] == nil)
        #expect(try table[999] == 1998)
    }

    @Test func typedViewChecksSizes() throws {
        let map = try Map(type: .hash, name: "tbl_sizes", keySize: 4, valueSize: 8, maxEntries: 4)
        let table = Table(name: "sizes", map: map)
        #expect(throws: BCCError.invalidUse(object: "table 'sizes'", detail: "UInt64 is 8 bytes but the map's key size is 4 bytes")) {
            try table.typed(key: UInt64.self, value: UInt64.self)
        }
        #expect(throws: BCCError.invalidUse(object: "table 'sizes'", detail: "UInt16 is 2 bytes but the map's value size is 8 bytes")) {
            try table.typed(key: UInt32.self, value: UInt16.self)
        }
    }

    @Test func log2HistogramFromAnArrayTable() throws {
        let map = try Map(type: .array, name: "tbl_hist", keySize: 4, valueSize: 8, maxEntries: 65)
        let table = Table(name: "dist", map: map)
        let dist = try table.typed(key: Int32.self, value: UInt64.self)
        try dist.set(1, 3)
        try dist.set(4, 12)
        try dist.set(6, 1)
        var text = ""
        try table.writeHistogram(.log2, valType: "usecs", to: &text)
        #expect(text == """
                 usecs               : count     distribution
                     0 -> 1          : 3        |**********                              |
                     2 -> 3          : 0        |                                        |
                     4 -> 7          : 0        |                                        |
                     8 -> 15         : 12       |****************************************|
                    16 -> 31         : 0        |                                        |
                    32 -> 63         : 1        |***                                     |

            """)
        var linear = ""
        try table.writeHistogram(.linear, to: &linear)
        #expect(linear == (try Histogram.linear([1: 3, 4: 12, 6: 1])))
    }

    @Test func histogramSlotsOutOfRangeAreAnError() throws {
        let map = try Map(type: .hash, name: "tbl_badhist", keySize: 4, valueSize: 8, maxEntries: 4)
        let table = Table(name: "dist", map: map)
        try table.typed(key: UInt32.self, value: UInt64.self).set(70, 1)
        var text = ""
        #expect(throws: BCCError.histogramSlotOutOfRange(table: "dist", kind: .log2, slot: 70, limit: 64)) {
            try table.writeHistogram(.log2, to: &text)
        }
    }

    @Test func queueAndStackPushPopPeek() throws {
        let queue = Table(name: "queue", map: try Map(type: .queue, name: "tbl_queue", keySize: 0, valueSize: 4, maxEntries: 2))
        try queue.push([1, 0, 0, 0])
        try queue.push([2, 0, 0, 0])
        #expect { try queue.push([3, 0, 0, 0]) } throws: { error in
            guard case BCCError.kernel("push", "table 'queue'", .invalidArgument(_, _, let detail)) = error else { return false }
            return detail == "the map is full"
        }
        try queue.push([3, 0, 0, 0], overwrite: true)
        #expect(try queue.peek() == [2, 0, 0, 0])
        #expect(try queue.pop() == [2, 0, 0, 0])
        #expect(try queue.pop() == [3, 0, 0, 0])
        #expect(try queue.pop() == nil)
        let stack = Table(name: "stack", map: try Map(type: .stack, name: "tbl_stack", keySize: 0, valueSize: 4, maxEntries: 4))
        try stack.push([1, 0, 0, 0])
        try stack.push([2, 0, 0, 0])
        #expect(try stack.pop() == [2, 0, 0, 0])
        #expect(try stack.peek() == [1, 0, 0, 0])
        let hash = Table(name: "hash", map: try Map(type: .hash, name: "tbl_notq", keySize: 4, valueSize: 4, maxEntries: 4))
        #expect(throws: BCCError.invalidUse(object: "table 'hash'", detail: "pop needs a queue or stack map; this is a hash map")) {
            try hash.pop()
        }
    }
}

/// Runs `body` with the calling thread pinned to the CPU it is on.
private func onThisCPU(_ body: () throws -> Void) throws {
    var saved = cpu_set_t()
    try #require(cbpf_thread_affinity_get(&saved, MemoryLayout<cpu_set_t>.size) == 0)
    defer { _ = cbpf_thread_affinity_set(&saved, MemoryLayout<cpu_set_t>.size) }
    var only = cpu_set_t()
    let cpu = Int(cbpf_current_cpu())
    withUnsafeMutableBytes(of: &only) { $0[cpu / 8] |= UInt8(1) << (cpu % 8) }
    try #require(cbpf_thread_affinity_set(&only, MemoryLayout<cpu_set_t>.size) == 0)
    try body()
}
