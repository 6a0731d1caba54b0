import BPFObject
import Testing
@testable import EBPF

@Suite struct InstructionBuilderTests {
    /// Encodings checked against the kernel's own macros (BPF_MOV64_IMM, BPF_LD_MAP_FD, ...).
    @Test func encodings() {
        #expect(Instruction.mov(.r0, 7).bytes == [0xb7, 0x00, 0, 0, 7, 0, 0, 0])
        #expect(Instruction.mov(.r2, .r10).bytes == [0xbf, 0xa2, 0, 0, 0, 0, 0, 0])
        #expect(Instruction.add(.r2, -4).bytes == [0x07, 0x02, 0, 0, 0xfc, 0xff, 0xff, 0xff])
        #expect(Instruction.add(.r1, .r2).bytes == [0x0f, 0x21, 0, 0, 0, 0, 0, 0])
        #expect(Instruction.loadMapFD(.r1, 5).flatMap(\.bytes)
            == [0x18, 0x11, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(Instruction.loadImmediate64(.r3, 0x1_0000_0002).flatMap(\.bytes)
            == [0x18, 0x03, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0])
        #expect(Instruction.call(.mapLookupElement).bytes == [0x85, 0, 0, 0, 1, 0, 0, 0])
        #expect(Instruction.store(.word, .r10, -4, 9).bytes == [0x62, 0x0a, 0xfc, 0xff, 9, 0, 0, 0])
        #expect(Instruction.store(.double, .r10, -8, .r1).bytes == [0x7b, 0x1a, 0xf8, 0xff, 0, 0, 0, 0])
        #expect(Instruction.load(.double, .r0, .r1, 8).bytes == [0x79, 0x10, 8, 0, 0, 0, 0, 0])
        #expect(Instruction.jump(if: .r0, .equal, 0, 3).bytes == [0x15, 0x00, 3, 0, 0, 0, 0, 0])
        #expect(Instruction.jump(if: .r1, .greater, .r2, -2).bytes == [0x2d, 0x21, 0xfe, 0xff, 0, 0, 0, 0])
        #expect(Instruction.jump(1).bytes == [0x05, 0, 1, 0, 0, 0, 0, 0])
        #expect(Instruction.rightShift(.r1, 32).bytes == [0x77, 0x01, 0, 0, 32, 0, 0, 0])
        #expect(Instruction.atomicAdd(.double, .r0, 0, .r1).bytes == [0xdb, 0x10, 0, 0, 0, 0, 0, 0])
        #expect(Instruction.exit().bytes == [0x95, 0, 0, 0, 0, 0, 0, 0])
    }

    /// Loads, conditional jumps and register stores, run by the kernel: the
    /// program increments a counter in an array map and returns the new value,
    /// or 0 if the lookup failed.
    @Test func counterProgramRunsInTheKernel() throws {
        let counter = try Map(type: .array, name: "test_counter", keySize: 4, valueSize: 8, maxEntries: 1)
        try counter.update(UInt32(0), UInt64(40))
        let code: [Instruction] = [.store(.word, .r10, -4, 0)]
            + Instruction.loadMapFD(.r1, counter.fd.rawValue)
            + [.mov(.r2, .r10), .add(.r2, -4),
               .call(.mapLookupElement),
               .jump(if: .r0, .notEqual, 0, 2),
               .mov(.r0, 0),
               .exit(),
               .load(.double, .r1, .r0, 0),
               .add(.r1, 1),
               .store(.double, .r0, 0, .r1),
               .mov(.r0, .r1),
               .exit()]
        let program = try Program(type: .socketFilter, instructions: code, license: "GPL", name: "counter")
        #expect(try program.testRun(data: TestPrograms.packet).retval == 41)
        #expect(try program.testRun(data: TestPrograms.packet, repeat: 10).retval == 51)
        #expect(try counter.lookup(UInt32(0), as: UInt64.self) == 51)
    }
}
