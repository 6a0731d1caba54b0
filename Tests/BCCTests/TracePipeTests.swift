import BPFObject
import EBPF
import Foundation
import Testing
import TestSupport
@testable import BCC

/// Serialized: the tests share trace_pipe, and reading a line consumes it.
@Suite(.serialized) struct TracePipeTests {
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

    /// Reads the lines of a tracing instance of its own: bpf_trace_printk
    /// output is the event bpf_trace:bpf_trace_printk, which an instance with
    /// the event enabled receives in its own buffer, so another process
    /// reading the global trace_pipe (another test, a tool) takes none of them.
    @Test func readsPrintkOutputAsBccFields() throws {
        let instance = try Tracefs.root() + "/instances/swift-bcc-test-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        try #require(mkdir(instance, 0o700) == 0, "cannot create the tracing instance \(instance): errno \(errno)")
        defer { rmdir(instance) }
        try "1".write(toFile: instance + "/events/bpf_trace/bpf_trace_printk/enable", atomically: false, encoding: .utf8)
        var programID: UInt32 = 0
        do {
            let message = "swift-bcc \(getpid()) \(UInt32.random(in: 0 ... .max))"
            let program = try Program(type: .socketFilter, instructions: Self.printkProgram(message), license: "GPL",
                                      name: "printk_test")
            programID = program.id
            let pipe = try TracePipe(path: instance + "/trace_pipe")
            #expect(Self.openTracePipes() == 1)
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
        expectKernelObjectsFreed(programs: [programID])
        #expect(Self.openTracePipes() == 0)
    }

    /// One `poll` serves a ring buffer, a perf buffer and trace_pipe; the
    /// object knows the program prints, and closing it closes the pipe.
    @Test func pollServesRingsPerfBuffersAndTracePipe() throws {
        let token = UInt32.random(in: 1 ... 1_000_000)
        // This thread's own getitimer calls (no other test traces getitimer).
        let thread = UInt64(getpid()) << 32 | UInt64(try Self.threadID())
        do {
            let b = try BPF(text: """
                struct data_t { u64 value; };
                BPF_RINGBUF_OUTPUT(ring, 4);
                BPF_PERF_OUTPUT(perf);
                TRACEPOINT_PROBE(syscalls, sys_enter_getitimer) {
                    if (bpf_get_current_pid_tgid() != \(thread)ULL)
                        return 0;
                    struct data_t data = {\(token)};
                    ring.ringbuf_output(&data, sizeof(data), 0);
                    perf.perf_submit(args, &data, sizeof(data));
                    bpf_trace_printk("swift-bcc poll %u\\n", \(token));
                    return 0;
                }
                """)
            defer { b.close() }
            #expect(b.printsToTracePipe)
            var ring: [UInt64] = [], perf: [UInt64] = [], lines: [String] = []
            try b["ring"].openRingBuffer { ring.append($0.loadUnaligned(as: UInt64.self)) }
            try b["perf"].openPerfBuffer { _, data in perf.append(data.loadUnaligned(as: UInt64.self)) }
            try b.openTracePipe { line in if line.hasSuffix("swift-bcc poll \(token)") { lines.append(line) } }
            #expect(Self.openTracePipes() == 1)
            var timer = itimerval()
            let deadline = Date().addingTimeInterval(10)
            while ring.isEmpty || perf.isEmpty || lines.isEmpty, Date() < deadline {
                _ = getitimer(__itimer_which_t(ITIMER_REAL.rawValue), &timer)
                try b.poll(timeout: 100)
            }
            #expect(ring.first == UInt64(token))
            #expect(perf.first == UInt64(token))
            #expect(lines.first.flatMap { TraceFields(line: $0[...]) }?.message == "swift-bcc poll \(token)")
            // Drained: a poll with nothing new waits out its timeout.
            while try b.poll(timeout: 0) > 0 {}
            let start = ContinuousClock.now
            #expect(try b.poll(timeout: .milliseconds(200)) == 0)
            #expect(ContinuousClock.now - start >= .milliseconds(190))
        }
        #expect(Self.openTracePipes() == 0)
    }

    /// The id of the calling thread.
    static func threadID() throws -> Int {
        try #require(try ProcFile.text("/proc/thread-self/stat").split(separator: " ").first.flatMap { Int($0) })
    }

    /// This process's descriptors open on trace_pipe: only this serialized
    /// suite opens it in the test process, so the count is its own.
    static func openTracePipes() -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return entries.filter {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0))?.hasSuffix("/trace_pipe") == true
        }.count
    }

    @Test func aMissingPipeNamesThePath() {
        #expect(throws: BCCError.file(path: "/nonexistent/trace_pipe", detail: "No such file or directory")) {
            try TracePipe(path: "/nonexistent/trace_pipe")
        }
    }

    @Test func traceFieldsOfABccProgram() throws {
        let token = Int32.random(in: 1 ... 1_000_000)
        let b = try BPF(text: """
            BPF_ARRAY(trace_target, u32, 1);

            TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
                u32 zero = 0;
                u32 *target = trace_target.lookup(&zero);
                if (!target || *target != (bpf_get_current_pid_tgid() >> 32))
                    return 0;
                bpf_trace_printk("swift-bcc says %d\\n", \(token));
                return 0;
            }
            """)
        defer { b.close() }
        try b["trace_target"].typed(key: UInt32.self, value: UInt32.self).set(0, UInt32(getpid()))
        let threadID = try ProcFile.text("/proc/thread-self/stat").split(separator: " ").first.flatMap { Int($0) }
        _ = getppid()
        var found: TraceFields?
        let deadline = Date().addingTimeInterval(5)
        while found == nil, Date() < deadline, let fields = try b.traceFields(timeout: 1000) {
            if fields.message == "swift-bcc says \(token)" { found = fields }
        }
        let fields = try #require(found)
        #expect(fields.pid == threadID)
        _ = getppid()
        var line: String?
        while line == nil, Date() < deadline, let next = try b.traceReadline(timeout: 1000) {
            if next.hasSuffix("swift-bcc says \(token)") { line = next }
        }
        #expect(line.map { TraceFields(line: $0[...])?.pid == threadID } == true)
    }
}
