import BPFObject
import Testing
@testable import EBPF

@Suite struct ProgramTests {
    /// A hand-assembled program, run with BPF_PROG_TEST_RUN, returns a known
    /// value and writes a map entry the test reads back.
    @Test func testRunReturnsValueAndWritesMap() throws {
        let map = try Map(type: .hash, name: "test_run_out", keySize: 4, valueSize: 8, maxEntries: 1)
        let program = try Program(type: .socketFilter,
                                  instructions: TestPrograms.storeAndReturn(map: map, value: 4242, result: 7),
                                  license: "GPL", name: "store_and_return")
        let result = try program.testRun(data: TestPrograms.packet, repeat: 3)
        #expect(result.retval == 7)
        #expect(result.dataOut.count == TestPrograms.packet.count)
        #expect(try map.lookup(UInt32(0), as: UInt64.self) == 4242)
        #expect(program.id > 0)
        #expect(program.tag.count == 16)
        #expect(program.tag.allSatisfy { $0.isHexDigit })
        #expect(program.tag != "0000000000000000")
        #expect(program.name == "store_and_return")
    }

    @Test func verifierRejectionCarriesTheLog() throws {
        // Returns without setting r0: the verifier says "R0 !read_ok".
        let error = expectBPFError(.verifierRejected) {
            try Program(type: .socketFilter, instructions: [.exit()], license: "GPL", name: "bad_prog")
        }
        guard case let .verifierRejected(program, log) = error else {
            Issue.record("expected verifierRejected, got \(String(describing: error))")
            return
        }
        #expect(program == "bad_prog")
        #expect(log.contains("R0 !read_ok"))
        #expect(error?.description.contains("the verifier rejected program 'bad_prog'") == true)
    }

    @Test func longVerifierLogGrowsTheBuffer() throws {
        // Many instructions, then an invalid read: the level-2 log of a
        // successful load is long, and the rejection log holds the culprit.
        let filler = [Instruction](repeating: .mov(.r1, 1), count: 20_000)
        let program = try Program(type: .socketFilter, instructions: filler + [.mov(.r0, 0), .exit()],
                                  license: "GPL", name: "long_log", logLevel: 2)
        #expect(program.verifierLog.utf8.count > Program.initialLogSize)

        let error = expectBPFError(.verifierRejected) {
            try Program(type: .socketFilter, instructions: filler + [.load(.double, .r0, .r2, 0), .exit()],
                        license: "GPL", name: "long_reject")
        }
        guard case let .verifierRejected(_, log) = error else {
            Issue.record("expected verifierRejected, got \(String(describing: error))")
            return
        }
        #expect(log.contains("R2 !read_ok"))
    }

    @Test func emptyProgramIsRejectedBeforeTheKernel() {
        #expect(throws: BPFError.invalidArgument(operation: "load", object: "socket filter program 'empty'",
                                                 detail: "the program has no instructions")) {
            try Program(type: .socketFilter, instructions: [], license: "GPL", name: "empty")
        }
    }

    @Test func gplOnlyHelperNeedsGPLLicense() throws {
        let stacks = try Map(type: .stackTrace, name: "test_gpl_stacks", keySize: 4, valueSize: 8 * 127, maxEntries: 4)
        let code: [Instruction] = Instruction.loadMapFD(.r2, stacks.fd.rawValue) + [.mov(.r3, 0), .call(.getStackID), .exit()]
        let error = expectBPFError(.verifierRejected) {
            try Program(type: .rawTracepoint, instructions: code, license: "Proprietary", name: "not_gpl")
        }
        #expect(error?.description.contains("GPL") == true)
    }
}
