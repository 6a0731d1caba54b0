import BPFObject
import Testing
@testable import EBPF

@Suite struct MapTests {
    /// Creates, fills, reads back, iterates and empties a hash-like map with typed keys and values.
    @Test(arguments: [MapType.hash, .lruHash])
    func hashLikeMapRoundTrip(type: MapType) throws {
        let map = try Map(type: type, name: "test_\(type.rawValue)", keySize: 4, valueSize: 8, maxEntries: 64)
        defer { map.close() }
        for key in UInt32(0)..<10 { try map.update(key, UInt64(key) * 1000 + 7) }
        for key in UInt32(0)..<10 { #expect(try map.lookup(key, as: UInt64.self) == UInt64(key) * 1000 + 7) }
        #expect(try map.lookup(UInt32(99), as: UInt64.self) == nil)
        #expect(try Set(map.keys(as: UInt32.self)) == Set(0..<10))

        try map.clear()
        #expect(try map.keys().isEmpty)
        #expect(try map.lookup(UInt32(3), as: UInt64.self) == nil)
    }

    @Test func arrayMapRoundTrip() throws {
        let map = try Map(type: .array, name: "test_array", keySize: 4, valueSize: 4, maxEntries: 8)
        defer { map.close() }
        for index in UInt32(0)..<8 { try map.update(index, index * index + 1) }
        for index in UInt32(0)..<8 { #expect(try map.lookup(index, as: UInt32.self) == index * index + 1) }
        #expect(try map.keys(as: UInt32.self) == Array(0..<8))
        #expect(try map.lookup(UInt32(8), as: UInt32.self) == nil)

        try map.clear()
        for index in UInt32(0)..<8 { #expect(try map.lookup(index, as: UInt32.self) == 0) }
    }

    @Test(arguments: [MapType.perCPUHash, .perCPUArray])
    func perCPUMapRoundTrip(type: MapType) throws {
        let cpus = try PossibleCPUs.count()
        let map = try Map(type: type, name: "test_percpu", keySize: 4, valueSize: 4, maxEntries: 4)
        defer { map.close() }
        #expect(try map.kernelValueSize() == cpus * 8)
        for key in UInt32(0)..<4 {
            try map.updatePerCPU(key, (0..<cpus).map { UInt32($0) + key * 100 })
        }
        for key in UInt32(0)..<4 {
            #expect(try map.lookupPerCPU(key, as: UInt32.self) == (0..<cpus).map { UInt32($0) + key * 100 })
        }
        #expect(try map.keys(as: UInt32.self).sorted() == Array(0..<4))

        try map.clear()
        if type == .perCPUHash {
            #expect(try map.keys().isEmpty)
        } else {
            #expect(try map.lookupPerCPU(UInt32(2), as: UInt32.self) == Array(repeating: 0, count: cpus))
        }
        expectBPFError(.invalidArgument) { try map.lookup(key: [0, 0, 0, 0]) }
    }

    @Test func updateFlagsAndDelete() throws {
        let map = try Map(type: .hash, name: "test_flags", keySize: 4, valueSize: 4, maxEntries: 4)
        defer { map.close() }
        try map.update(UInt32(1), UInt32(10), flags: .noExist)
        expectBPFError(.invalidArgument) { try map.update(UInt32(1), UInt32(11), flags: .noExist) }
        try map.update(UInt32(1), UInt32(12), flags: .exist)
        #expect(try map.lookup(UInt32(1), as: UInt32.self) == 12)
        #expect(throws: BPFError.notFound(what: "key to update (BPF_EXIST) in hash map 'test_flags'")) {
            try map.update(UInt32(2), UInt32(20), flags: .exist)
        }
        try map.delete(UInt32(1))
        expectBPFError(.notFound) { try map.delete(UInt32(1)) }
    }

    /// A queue gives its values back oldest first, a stack newest first, and
    /// a hash map gives a key's value back and forgets the key, each in one call.
    @Test func lookupAndDeleteTakesTheValueOut() throws {
        let queue = try Map(type: .queue, name: "test_queue", keySize: 0, valueSize: 4, maxEntries: 4)
        let stack = try Map(type: .stack, name: "test_stack", keySize: 0, valueSize: 4, maxEntries: 4)
        defer { queue.close(); stack.close() }
        for value: UInt8 in [1, 2, 3] {
            try queue.update(key: [], value: [value, 0, 0, 0])
            try stack.update(key: [], value: [value, 0, 0, 0])
        }
        #expect(try (0..<4).map { _ in try queue.lookupAndDelete(key: [])?.first } == [1, 2, 3, nil])
        #expect(try (0..<4).map { _ in try stack.lookupAndDelete(key: [])?.first } == [3, 2, 1, nil])

        let hash = try Map(type: .hash, name: "test_take", keySize: 4, valueSize: 8, maxEntries: 4)
        defer { hash.close() }
        try hash.update(UInt32(7), UInt64(70))
        try hash.update(UInt32(8), UInt64(80))
        #expect(try hash.lookupAndDelete(key: [7, 0, 0, 0]) == [70, 0, 0, 0, 0, 0, 0, 0])
        #expect(try hash.keys(as: UInt32.self) == [8])
        #expect(try hash.lookupAndDelete(key: [7, 0, 0, 0]) == nil)
        #expect(throws: BPFError.invalidArgument(operation: "lookup and delete in", object: "hash map 'test_take'",
                                                 detail: "the key is 2 bytes, the map's keys are 4 bytes")) {
            try hash.lookupAndDelete(key: [7, 0])
        }
    }

    @Test func sizesAreChecked() throws {
        let map = try Map(type: .hash, name: "test_sizes", keySize: 4, valueSize: 8, maxEntries: 4)
        defer { map.close() }
        let error = expectBPFError(.invalidArgument) { try map.update(UInt64(1), UInt64(1)) }
        #expect(error?.description.contains("hash map 'test_sizes'") == true)
        #expect(error?.description.contains("keys are 4 bytes") == true)
        expectBPFError(.invalidArgument) { try map.update(key: [1, 2, 3, 4], value: [1]) }

        // A C struct { u64 a; u32 b; } is 16 bytes; Swift's size is 12, its stride 16: accepted.
        struct Padded: BitwiseCopyable, Equatable { var a: UInt64; var b: UInt32 }
        let padded = try Map(type: .array, name: "test_padded", keySize: 4, valueSize: 16, maxEntries: 1)
        defer { padded.close() }
        try padded.update(UInt32(0), Padded(a: 5, b: 6))
        #expect(try padded.lookup(UInt32(0), as: Padded.self) == Padded(a: 5, b: 6))
    }

    @Test func freezeStopsUserSpaceWrites() throws {
        let map = try Map(type: .array, name: "test_frozen", keySize: 4, valueSize: 4, maxEntries: 1)
        defer { map.close() }
        try map.update(UInt32(0), UInt32(1))
        try map.freeze()
        #expect(throws: BPFError.invalidArgument(operation: "update", object: "array map 'test_frozen'",
                                                 detail: "the map is frozen (BPF_MAP_FREEZE): user space can no longer write it")) {
            try map.update(UInt32(0), UInt32(2))
        }
        #expect(try map.lookup(UInt32(0), as: UInt32.self) == 1)
    }

    @Test func idAndDescription() throws {
        let map = try Map(type: .hash, name: "a name with spaces that is long", keySize: 4, valueSize: 4, maxEntries: 1)
        #expect(try map.id > 0)
        #expect(map.description.contains("'a name with spaces that is long'"))
        let fd = map.fd.rawValue
        map.close()
        #expect(map.fd.rawValue == -1)
        #expect(fd >= 0)
    }

    @Test func possibleCPUListParsing() throws {
        #expect(try PossibleCPUs.parse("0-3\n", source: "t") == 4)
        #expect(try PossibleCPUs.parse("0,2-5,7", source: "t") == 8)
        #expect(try PossibleCPUs.parse("0", source: "t") == 1)
        expectBPFError(.malformed) { try PossibleCPUs.parse("x-y", source: "t") }
        expectBPFError(.malformed) { try PossibleCPUs.parse("", source: "t") }
    }
}
