import EBPF
import Foundation
import Synchronization
import Testing
@testable import BCC
import TestSupport

/// The ring buffer and perf buffer API of `b["name"]` against the kernel:
/// programs on syscalls tracepoints that this test's own process fires
/// (getpgid) or a child it starts, filtered by pid.
@Suite(.serialized) struct RingBufTableTests {
    /// Keeps only the calls of process `pid` (the test process or its child).
    static func pidFilter(_ pid: Int32) -> String {
        "if ((bpf_get_current_pid_tgid() >> 32) != \(pid)) return 0;"
    }

    /// A program that sends `count` records per getpgid call of this process:
    /// `send` is the body of the loop, with `i` the record's index.
    static func getpgidProgram(pages: Int = 8, count: Int = 1, send: String, extra: String = "") -> String {
        """
        struct data_t { u64 value; };
        BPF_RINGBUF_OUTPUT(events, \(pages));
        \(extra)
        TRACEPOINT_PROBE(syscalls, sys_enter_getpgid) {
            \(pidFilter(getpid()))
            for (int i = 0; i < \(count); i++) {
                \(send)
            }
            return 0;
        }
        """
    }

    static let output = "struct data_t data = {i}; events.ringbuf_output(&data, sizeof(data), 0);"

    /// The guide's two example functions, on the openat tracepoint.
    static let guideProgram = """
        #include <linux/sched.h>
        struct data_t {
            u32 pid;
            u64 ts;
            char comm[TASK_COMM_LEN];
        };
        BPF_RINGBUF_OUTPUT(events, 8);
        BPF_RINGBUF_OUTPUT(reserved, 8);

        TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
            struct data_t data = {};
            data.pid = bpf_get_current_pid_tgid() >> 32;
            data.ts = bpf_ktime_get_ns();
            bpf_get_current_comm(&data.comm, sizeof(data.comm));
            events.ringbuf_output(&data, sizeof(data), 0);

            struct data_t *reservation = reserved.ringbuf_reserve(sizeof(struct data_t));
            if (!reservation) return 1;
            reservation->pid = bpf_get_current_pid_tgid() >> 32;
            reservation->ts = bpf_ktime_get_ns();
            bpf_get_current_comm(&reservation->comm, sizeof(reservation->comm));
            reserved.ringbuf_submit(reservation, 0);
            return 0;
        }
        """

    /// Starts /bin/true under a fresh name (its comm), waits for it, and returns its pid and name.
    static func runRenamedChild() throws -> (pid: Int32, comm: String) {
        let directory = try TestSupport.temporaryDirectory("ringbuf-child")
        defer { try? FileManager.default.removeItem(at: directory) }
        let comm = "rbchild\(UInt16.random(in: 1000...9999))"
        let path = directory.appendingPathComponent(comm).path
        // A symbolic link: the comm is the name exec'd, and no writable copy
        // exists for a concurrent fork to inherit (exec would fail with ETXTBSY).
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/bin/true")
        let child = Process()
        child.executableURL = URL(fileURLWithPath: path)
        try child.run()
        child.waitUntilExit()
        return (child.processIdentifier, comm)
    }

    @Test func guideExamplesDeliverThePidAndCommOfAChild() throws {
        let b = try BPF(text: Self.guideProgram)
        defer { b.close() }
        var outputs: [DecodedEvent] = [], reservations: [DecodedEvent] = []
        let events = try b["events"], reserved = try b["reserved"]
        try events.openRingBuffer { data in outputs.append(try events.event(data)) }
        try reserved.openRingBuffer { data in reservations.append(try reserved.event(data)) }
        let child = try Self.runRenamedChild()
        let deadline = Date().addingTimeInterval(10)
        func fromChild(_ list: [DecodedEvent]) -> [DecodedEvent] {
            list.filter { $0.pid?.int == Int64(child.pid) }
        }
        while fromChild(outputs).isEmpty || fromChild(reservations).isEmpty, Date() < deadline {
            try b.ringBufferPoll(timeout: 100)
        }
        for list in [fromChild(outputs), fromChild(reservations)] {
            #expect(!list.isEmpty)
            #expect(list.allSatisfy { $0.comm?.string == child.comm })
        }
    }

    @Test func outputConsumeAndPollCountTheirRecords() throws {
        let b = try BPF(text: Self.getpgidProgram(count: 5, send: Self.output))
        defer { b.close() }
        var values: [UInt64] = []
        try b["events"].openRingBuffer(context: 10 as UInt64) { base, data in
            values.append(base + data.loadUnaligned(as: UInt64.self))
        }
        _ = getpgid(0)
        // The records are in the ring when the syscall returns; consume does not wait.
        #expect(try b.ringBufferConsume() == 5)
        #expect(values == [10, 11, 12, 13, 14])
        _ = getpgid(0)
        #expect(try b.ringBufferPoll(timeout: 5000) == 5)
        #expect(try b["events"].lostRecords == 0)
    }

    @Test func discardedRecordsWakeThePollAndDeliverNothing() throws {
        let send = "struct data_t *data = events.ringbuf_reserve(sizeof(struct data_t)); if (!data) return 1; data->value = i; events.ringbuf_discard(data, 0);"
        let b = try BPF(text: Self.getpgidProgram(count: 3, send: send))
        defer { b.close() }
        var delivered = 0
        try b["events"].openRingBuffer { _ in delivered += 1 }
        _ = getpgid(0)
        let start = Date()
        #expect(try b.ringBufferPoll(timeout: 10_000) == 0)
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(delivered == 0)
    }

    @Test func ringSizeQueriedInBPFIsEightPages() throws {
        let send = "struct data_t data = {events.ringbuf_query(BPF_RB_RING_SIZE) / \(getpagesize())}; events.ringbuf_output(&data, sizeof(data), 0);"
        let b = try BPF(text: Self.getpgidProgram(send: send))
        defer { b.close() }
        var pages: [UInt64] = []
        try b["events"].openRingBuffer { pages.append($0.loadUnaligned(as: UInt64.self)) }
        _ = getpgid(0)
        try b.ringBufferPoll(timeout: 5000)
        #expect(pages == [8])
    }

    @Test func fullOnePageRingReportsExactlyWhatItLost() throws {
        let b = try BPF(text: Self.getpgidProgram(pages: 1, count: 600, send: Self.output))
        defer { b.close() }
        var delivered: UInt64 = 0
        try b["events"].openRingBuffer { _ in delivered += 1 }
        _ = getpgid(0)
        try b.ringBufferConsume()
        let lost = try b["events"].lostRecords
        #expect(lost > 0)
        #expect(delivered + lost == 600)
    }

    @Test func throwingCallbackReachesThePollerAndLeavesTheRest() throws {
        struct Stop: Error {}
        let b = try BPF(text: Self.getpgidProgram(count: 4, send: Self.output))
        defer { b.close() }
        var seen: [UInt64] = []
        try b["events"].openRingBuffer { data in
            let value = data.loadUnaligned(as: UInt64.self)
            seen.append(value)
            if value == 1 { throw Stop() }
        }
        _ = getpgid(0)
        #expect(throws: Stop.self) { try b.ringBufferConsume() }
        #expect(seen == [0, 1])
        #expect(try b.ringBufferConsume() == 2)
        #expect(seen == [0, 1, 2, 3])
    }

    @Test func typedEventsAreLoadedIntoASwiftStruct() throws {
        struct Data: BitwiseCopyable { var value: UInt64 }
        let b = try BPF(text: Self.getpgidProgram(count: 3, send: Self.output))
        defer { b.close() }
        var values: [UInt64] = []
        try b["events"].openRingBuffer(as: Data.self) { values.append($0.value) }
        _ = getpgid(0)
        try b.ringBufferConsume()
        #expect(values == [0, 1, 2])
        struct Wrong: BitwiseCopyable { var value: UInt32 }
        let other = try BPF(text: Self.getpgidProgram(send: Self.output) + "\n// \(UUID())")
        defer { other.close() }
        #expect {
            try other["events"].openRingBuffer(as: Wrong.self) { _ in }
        } throws: { error in
            guard case BCCError.event("events", .layoutMismatch) = error else { return false }
            return true
        }
    }

    @Test func openingTwiceOrTheWrongKindIsAnError() throws {
        let b = try BPF(text: Self.getpgidProgram(send: Self.output, extra: "BPF_HASH(counts, u32, u64);"))
        defer { b.close() }
        try b["events"].openRingBuffer { _ in }
        #expect(throws: BCCError.invalidUse(object: "table 'events'", detail: "is already open; open a buffer once per BPF object")) {
            try b["events"].openRingBuffer { _ in }
        }
        #expect(throws: BCCError.invalidUse(object: "table 'counts'", detail: "openRingBuffer needs a BPF_RINGBUF_OUTPUT table")) {
            try b["counts"].openRingBuffer { _ in }
        }
        #expect(throws: BCCError.invalidUse(object: "<text>", detail: "no perf buffer is open; call openPerfBuffer on a BPF_PERF_OUTPUT table first")) {
            try b.perfBufferPoll(timeout: 0)
        }
        #expect(throws: BCCError.invalidUse(object: "table 'events'", detail: "is open with a callback; a ring has one reader")) {
            try b["events"].records()
        }
        #expect(throws: BCCError.tableNotFound(name: "missing", available: ["events", "counts"])) { try b["missing"] }
    }

    /// The object owns its tables and its event loop: a callback that
    /// captures its table keeps neither the program nor its maps, so
    /// dropping the last reference to the object (no close()) frees them.
    @Test func droppingTheLastReferenceFreesAProgramWhoseCallbacksCaptureItsTables() throws {
        var programs: [UInt32] = [], maps: [UInt32] = []
        do {
            let b = try BPF(text: Self.getpgidProgram(count: 2, send: Self.output, extra: "BPF_PERF_OUTPUT(samples);"))
            programs = b.object.programs.values.map(\.id)
            maps = try b.object.maps.values.map { try $0.id }
            let events = try b["events"], samples = try b["samples"]
            #expect(try b["events"] === events, "b[name] is built once at load")
            var values: [UInt64] = []
            try events.openRingBuffer { data in values.append(try events.event(data).value?.uint ?? 99) }
            try samples.openPerfBuffer { _, _ in _ = samples.name }
            _ = getpgid(0)
            try b.ringBufferPoll(timeout: 5000)
            #expect(values == [0, 1])
        }
        #expect(!programs.isEmpty && maps.count >= 3)
        expectKernelObjectsFreed(programs: programs, maps: maps)
    }

    /// After close() the object and its tables throw `.closed`, and so does
    /// a table that outlived its object.
    @Test func aClosedProgramAndItsTablesSayClosed() throws {
        let b = try BPF(text: Self.getpgidProgram(send: Self.output, extra: "BPF_HASH(counts, u32, u64);"))
        let events = try b["events"], counts = try b["counts"]
        try events.openRingBuffer { _ in }
        b.close()
        let closed = BCCError.closed(program: "<text>")
        #expect(throws: closed) { try events.openRingBuffer { _ in } }
        #expect(throws: closed) { try counts.keys() }
        #expect(throws: closed) { try events.lostRecords }
        #expect(throws: closed) { try b.ringBufferPoll(timeout: 0) }
        #expect(throws: closed) { try b.poll(timeout: 0) }
        #expect(throws: closed) { try b.attachTracepoint(tp: "syscalls:sys_enter_getpgid", fnName: "tracepoint__syscalls__sys_enter_getpgid") }
        let orphan: Table
        do {
            let other = try BPF(text: Self.getpgidProgram(send: Self.output, extra: "BPF_HASH(counts, u32, u64);"))
            orphan = try other["counts"]
        }
        #expect(throws: closed) { try orphan.keys() }
    }

    @Test func perfBufferDeliversSamplesWithTheirCPU() throws {
        let b = try BPF(text: """
            struct data_t { u64 value; };
            BPF_PERF_OUTPUT(samples);
            TRACEPOINT_PROBE(syscalls, sys_enter_getpgid) {
                \(Self.pidFilter(getpid()))
                struct data_t data = {42};
                samples.perf_submit(args, &data, sizeof(data));
                return 0;
            }
            """)
        defer { b.close() }
        var values: [UInt64] = []
        var lost: UInt64 = 0
        try b["samples"].openPerfBuffer(pageCount: 4, lostCallback: { lost += $0 }) { cpu, data in
            #expect(cpu >= 0)
            values.append(data.loadUnaligned(as: UInt64.self))
        }
        _ = getpgid(0)
        _ = getpgid(0)
        let deadline = Date().addingTimeInterval(5)
        while values.count < 2, Date() < deadline { try b.perfBufferPoll(timeout: 100) }
        #expect(values == [42, 42])
        #expect(lost == 0)
    }

    @Test func recordsAndEventsArriveThroughAsyncSequences() async throws {
        struct Data: BitwiseCopyable { var value: UInt64 }
        let b = try BPF(text: Self.getpgidProgram(count: 3, send: Self.output))
        defer { b.close() }
        let typed = try b["events"].decodedEvents(as: Data.self)
        _ = getpgid(0)
        var values: [UInt64] = []
        for try await event in typed {
            values.append(event.value)
            if values.count == 3 { break }
        }
        #expect(values == [0, 1, 2])
        // Decoded events, in a task that is cancelled while it waits.
        let received = ReceivedCount()
        // The sequence holds the ring and the decoder, not the table: another task iterates it.
        let events = try b["events"].decodedEvents()
        let consumer = Task { () throws -> [UInt64] in
            var seen: [UInt64] = []
            for try await event in events {
                seen.append(event.value?.uint ?? 99)
                received.value.store(seen.count, ordering: .releasing)
            }
            return seen
        }
        _ = getpgid(0)
        // Cancel once all three arrived (however slowly the machine runs); the task then waits for more.
        let deadline = Date().addingTimeInterval(10)
        while received.value.load(ordering: .acquiring) < 3, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        consumer.cancel()
        #expect(try await consumer.value == [0, 1, 2])
    }
}

/// How many records a consuming task has seen, read by the test meanwhile.
private final class ReceivedCount: Sendable {
    let value = Atomic<Int>(0)
}
