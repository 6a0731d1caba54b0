import BPFObject
import EBPF
import Foundation
import Testing
import TestSupport
@testable import BCC

@Suite struct TracePipeTests {
    /// A socket filter that prints `message` with bpf_trace_printk (helper 6).
    static func printkProgram(_ message: String) -> [Instruction] {
        var bytes = Array(message.utf8) + [0]
        while bytes.count % 8 != 0 { bytes.append(0) }
        var instructions: [Instruction] = []
        for (index, start) in stride(from: 0, to: bytes.count, by: 8).enumerated() {
            let word = bytes[start ..< start + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            instructions += Instruction.loadImmediate64(.r1, word)
            instructions.append(.store(.double, .r10, Int16(-bytes.count + index * 8), .r1))
        }
        instructions += [
            .mov(.r1, .r10), .add(.r1, Int32(-bytes.count)),
            .mov(.r2, Int32(message.utf8.count + 1)),
            Instruction(opcode: 0x85, immediate: 6),
            .mov(.r0, 0), .exit(),
        ]
        return instructions
    }

    @Test func readsPrintkOutputAsBccFields() throws {
        let before = TestSupport.openDescriptorCount()
        do {
            let message = "swift-bcc \(getpid()) \(UInt32.random(in: 0 ... .max))"
            let program = try Program(type: .socketFilter, instructions: Self.printkProgram(message), license: "GPL",
                                      name: "printk_test")
            let pipe = try TracePipe()
            let threadID = try ProcFile.text("/proc/thread-self/stat").split(separator: " ").first.flatMap { Int($0) }
            _ = try program.testRun(data: [UInt8](repeating: 0, count: 64))
            var found: TraceFields?
            let deadline = Date().addingTimeInterval(5)
            while found == nil, Date() < deadline, let fields = try pipe.readFields(timeout: 1000) {
                if fields.message == message { found = fields }
            }
            let fields = try #require(found, "no trace_pipe line with \(message)")
            // The test run executes the program in this thread.
            #expect(fields.pid == threadID)
            #expect(fields.cpu >= 0)
            #expect(fields.timestamp > 0)
            #expect(!fields.task.isEmpty)
        }
        expectNoDescriptorLeak(before: before)
    }

    @Test func aMissingPipeNamesThePath() {
        #expect(throws: BCCError.self) { try TracePipe(path: "/nonexistent/trace_pipe") }
    }
}
