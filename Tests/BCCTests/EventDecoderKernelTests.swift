import Foundation
import Testing
@testable import BCC
import TestSupport

/// Records of a bcc program decoded with the struct the front end recorded,
/// through a ring buffer and a perf buffer: every integer typedef bcc's
/// Python exits on (pid_t, __u32, uint32_t), bool, enums, nested structs,
/// unions and arrays. The program only reports this process's getpgid calls.
@Suite(.serialized) struct EventDecoderKernelTests {
    static func program(output: String) -> String {
        """
        enum phase { PHASE_START = 1, PHASE_RUNNING = 2 };
        struct point { s16 x; s16 y; };
        struct sample_t {
            pid_t pid;
            __u32 uid;
            uint32_t argument;
            bool flag;
            enum phase phase;
            struct point origin;
            union { __u32 word; u8 bytes[4]; } value;
            u16 ports[3];
            char comm[TASK_COMM_LEN];
        };
        \(output == "ring" ? "BPF_RINGBUF_OUTPUT(events, 8);" : "BPF_PERF_OUTPUT(events);")
        TRACEPOINT_PROBE(syscalls, sys_enter_getpgid) {
            if ((bpf_get_current_pid_tgid() >> 32) != \(getpid())) return 0;
            struct sample_t sample = {};
            sample.pid = bpf_get_current_pid_tgid() >> 32;
            sample.uid = 1000;
            sample.argument = args->pid;
            sample.flag = true;
            sample.phase = PHASE_RUNNING;
            sample.origin.x = -2;
            sample.origin.y = 7;
            sample.value.word = 0x01020304;
            sample.ports[0] = 22; sample.ports[1] = 80; sample.ports[2] = 443;
            bpf_get_current_comm(&sample.comm, sizeof(sample.comm));
            \(output == "ring" ? "events.ringbuf_output(&sample, sizeof(sample), 0);" : "events.perf_submit(args, &sample, sizeof(sample));")
            return 0;
        }
        """
    }

    /// The calling thread's comm (bpf_get_current_comm reports the thread's).
    static var ownComm: String {
        (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8))?.trimmingCharacters(in: .newlines) ?? ""
    }

    static func check(_ events: [DecodedEvent], argument: Int32, comm: String) throws {
        let event = try #require(events.first { $0.argument?.int == Int64(argument) })
        #expect(event.pid?.int == Int64(getpid()))
        #expect(event.uid == .unsigned(1000))
        #expect(event.flag == .bool(true))
        #expect(event.phase == .enumeration(name: "PHASE_RUNNING", value: 2))
        #expect(event.origin?.x == .signed(-2))
        #expect(event.origin?.y == .signed(7))
        #expect(event.value?.word?.uint == 0x01020304)
        #expect(event.value?["bytes"] == .array([.unsigned(4), .unsigned(3), .unsigned(2), .unsigned(1)]))
        #expect(event.ports == .array([.unsigned(22), .unsigned(80), .unsigned(443)]))
        #expect(event.comm?.string == comm)
        #expect(event.description.hasPrefix("pid=\(getpid()) uid=1000 argument=\(argument) flag=true phase=PHASE_RUNNING origin={x=-2 y=7} "))
        let json = try #require(JSONSerialization.jsonObject(with: Data(event.json(table: "events").utf8)) as? [String: Any])
        #expect(json["table"] as? String == "events")
        let fields = try #require(json["fields"] as? [String: Any])
        #expect(fields["comm"] as? String == comm)
        #expect(fields["ports"] as? [Int] == [22, 80, 443])
    }

    @Test func ringBufferRecordsDecodeAsTheRecordedStruct() throws {
        let b = try BPF(text: Self.program(output: "ring"))
        defer { b.close() }
        let events = try b["events"]
        #expect(try events.eventDecoder().typeName == "struct sample_t")
        var decoded: [DecodedEvent] = []
        try events.openRingBuffer { data in decoded.append(try events.event(data)) }
        let argument = Int32.random(in: 100_000...999_999)
        let comm = Self.ownComm
        _ = getpgid(argument)
        let deadline = Date().addingTimeInterval(10)
        while !decoded.contains(where: { $0.argument?.int == Int64(argument) }), Date() < deadline {
            try b.ringBufferPoll(timeout: 100)
        }
        try Self.check(decoded, argument: argument, comm: comm)
    }

    @Test func perfBufferSamplesDecodeDespitePadding() throws {
        let b = try BPF(text: Self.program(output: "perf"))
        defer { b.close() }
        let events = try b["events"]
        var decoded: [DecodedEvent] = []
        try events.openPerfBuffer { _, data in decoded.append(try events.event(data)) }
        let argument = Int32.random(in: 100_000...999_999)
        let comm = Self.ownComm
        _ = getpgid(argument)
        let deadline = Date().addingTimeInterval(10)
        while !decoded.contains(where: { $0.argument?.int == Int64(argument) }), Date() < deadline {
            try b.perfBufferPoll(timeout: 100)
        }
        try Self.check(decoded, argument: argument, comm: comm)
    }
}
