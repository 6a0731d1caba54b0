import BCC
import EBPF
import Testing
import TestSupport

/// Maps of maps filled from Swift, with inner maps made from the inner table's shape.
@Suite struct NetworkTableTests {
    static let program = """
        BPF_ARRAY(ex1, u64, 4);
        BPF_ARRAY(ex2, u64, 4);
        BPF_ARRAY_OF_MAPS(maps_array, "ex1", 2);
        BPF_HASH_OF_MAPS(maps_hash, u32, "ex1", 4);

        int read_inner(struct xdp_md *ctx) {
            int outer = 0, slot = 1;
            void *inner = maps_array.lookup(&outer);
            if (!inner) return XDP_ABORTED;
            u64 *value = bpf_map_lookup_elem(inner, &slot);
            if (!value) return XDP_ABORTED;
            return *value == 42 ? XDP_DROP : XDP_PASS;
        }

        int read_hashed(struct xdp_md *ctx) {
            u32 outer = 7;
            void *inner = maps_hash.lookup(&outer);
            return inner ? XDP_DROP : XDP_PASS;
        }
        """

    @Test func innerMapsMadeFromSwiftAreReadByThePrograms() throws {
        let b = try BPF(text: Self.program)
        defer { b.close() }
        let frame = [UInt8](repeating: 0, count: 64)
        let readInner = try b.function(named: "read_inner")
        #expect(try readInner.testRun(data: frame).retval == 0, "no inner map yet: XDP_ABORTED")

        let inner = try b.createInnerMap(for: "maps_array", name: "inner_42")
        defer { inner.close() }
        #expect(inner.type == .array && inner.valueSize == 8 && inner.maxEntries == 4)
        try inner.update(UInt32(1), UInt64(42))
        try b["maps_array"].setInnerMap(inner, at: Int32(0))
        #expect(try readInner.testRun(data: frame).retval == 1, "the inner map's 42: XDP_DROP")
        #expect(try b["maps_array"].innerMapID(at: Int32(0)) == (try inner.id))

        // A declared table of the same shape can be an inner map too (bcc's usage).
        try b["maps_array"].setInnerMap(b["ex2"].map, at: Int32(0))
        #expect(try readInner.testRun(data: frame).retval == 2, "ex2's slot 1 holds 0: XDP_PASS")

        let readHashed = try b.function(named: "read_hashed")
        #expect(try readHashed.testRun(data: frame).retval == 2)
        try b["maps_hash"].setInnerMap(try b.createInnerMap(for: "maps_hash"), at: UInt32(7))
        #expect(try readHashed.testRun(data: frame).retval == 1)
        #expect(try b["maps_hash"].innerMapID(at: UInt32(8)) == nil)

        let wrongShape = try Map(type: .hash, name: "wrong_shape", keySize: 4, valueSize: 4, maxEntries: 4)
        defer { wrongShape.close() }
        #expect(throws: BCCError.self) { try b["maps_array"].setInnerMap(wrongShape, at: Int32(1)) }
        #expect(throws: BCCError.self) { try b.createInnerMap(for: "ex1") }
        #expect(throws: BCCError.self) { try b["maps_array"].setInnerMap(inner, at: UInt64(0)) }
    }
}
