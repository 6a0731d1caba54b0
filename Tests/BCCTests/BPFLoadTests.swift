import EBPF
import Foundation
import Testing
@testable import BCC
import TestSupport

/// Kernel tests of BPF(text:).
@Suite struct BPFKernelTests {
    @Test func guideRingBufferProgramsCompileAndLoad() throws {
        try expectKernelObjectsFreed(loading: { try BPF(text: guideRingBufferProgram) }) { b in
            #expect(try b.function(named: "first_api_example").type == .kprobe)
            #expect(try b.function(named: "second_api_example").type == .kprobe)
            let events = try b.map(named: "events")
            #expect(events.type == .ringBuffer)
            #expect(events.maxEntries == 8 * Int(sysconf(Int32(_SC_PAGESIZE))))
            #expect(try b.lostCounter(forRing: "events").type == .perCPUArray)
            #expect(b.eventTypes == ["events": "struct data_t"])
            #expect(b.attachedProbes.isEmpty)
            // The event type is in the object's BTF, reachable from the anchor global.
            #expect(b.object.spec.variable(named: "__bcc_event__events") != nil)
        }
    }

    @Test func warmCompileComesFromTheCache() throws {
        let source = guideRingBufferProgram + "\n// warm-cache test \(UUID().uuidString)\n"
        let cold = try BPF(text: source)
        cold.close()
        let warm = try BPF(text: source)
        warm.close()
        #expect(!cold.compiledFromCache)
        #expect(warm.compiledFromCache)
    }

    /// bcc's examples/ringbuf in our own words: openat's filename into a ring
    /// buffer, with ringbuf_output or with reserve / submit.
    static func openatProgram(reserve: Bool) -> String {
        let send = reserve ? """
            struct event *event = buffer.ringbuf_reserve(sizeof(struct event));
            if (!event) return 1;
            event->pid = bpf_get_current_pid_tgid() >> 32;
            event->dfd = args->dfd;
            event->flags = args->flags;
            bpf_probe_read_user_str(&event->filename, sizeof(event->filename), args->filename);
            buffer.ringbuf_submit(event, 0);
            """ : """
            struct event event = {};
            event.pid = bpf_get_current_pid_tgid() >> 32;
            event.dfd = args->dfd;
            event.flags = args->flags;
            bpf_probe_read_user_str(&event.filename, sizeof(event.filename), args->filename);
            buffer.ringbuf_output(&event, sizeof(event), 0);
            """
        return """
            #include <uapi/linux/ptrace.h>
            #include <linux/fs.h>

            BPF_RINGBUF_OUTPUT(buffer, 1 << 4);

            struct event {
                u32 pid;
                int dfd;
                int flags;
                char filename[64];
            };

            TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
                if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID)
                    return 0;
            \(send)
                return 0;
            }
            """
    }

    @Test(arguments: [false, true]) func openatEventsArriveThroughTheRingBuffer(reserve: Bool) throws {
        try expectKernelObjectsFreed(loading: {
            try BPF(text: Self.openatProgram(reserve: reserve), cflags: ["-DTARGET_PID=\(getpid())"])
        }) { b in
            #expect(b.attachedProbes == ["tracepoint syscalls:sys_enter_openat -> tracepoint__syscalls__sys_enter_openat"])
            #expect(b.eventTypes == ["buffer": "struct event"])
            let path = "/tmp/bcc-openat-\(UUID().uuidString.prefix(12))"
            let poller = try RingBufferPoller()
            defer { poller.close() }
            var seen: [(pid: UInt32, flags: Int32, filename: String)] = []
            try poller.add(map: try b.map(named: "buffer")) { record in
                let pid = record.loadUnaligned(fromByteOffset: 0, as: UInt32.self)
                let flags = record.loadUnaligned(fromByteOffset: 8, as: Int32.self)
                let name = record[12..<76].prefix { $0 != 0 }
                seen.append((pid, flags, String(decoding: name, as: UTF8.self)))
            }
            let fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o600)
            #expect(fd >= 0)
            close(fd)
            unlink(path)
            let deadline = Date().addingTimeInterval(5)
            while !seen.contains(where: { $0.filename == path }) && Date() < deadline {
                try poller.poll(timeout: 100)
            }
            let event = try #require(seen.first { $0.filename == path })
            #expect(event.pid == UInt32(getpid()))
            #expect(event.flags & O_CREAT != 0)
            #expect(try b.lostCounter(forRing: "buffer").lookupPerCPU(key: [0, 0, 0, 0])?.allSatisfy { $0 == [UInt8](repeating: 0, count: 8) } == true)
        }
    }

    @Test func syntaxErrorAndUnknownIdentifierNameTheUserLine() throws {
        let syntax = #expect(throws: BCCError.self) {
            try BPF(text: "BPF_HASH(h, u32, u64);\nTRACEPOINT_PROBE(syscalls, sys_enter_getppid) {\n    u32 k = 0\n    return 0;\n}\n")
        }
        guard case let .compileFailed(_, diagnostics)? = syntax else { Issue.record("wrong error \(String(describing: syntax))"); return }
        #expect(diagnostics.first?.line == 3)
        #expect(diagnostics.first?.sourceLine == "    u32 k = 0")
        let unknown = #expect(throws: BCCError.self) {
            try BPF(text: "BPF_HASH(h, u32, u64);\nTRACEPOINT_PROBE(syscalls, sys_enter_getppid) {\n    h.increment(missing_key);\n    return 0;\n}\n")
        }
        guard case let .compileFailed(file, unknownDiagnostics)? = unknown else { Issue.record("wrong error"); return }
        #expect(file == "<text>")
        #expect(unknownDiagnostics.first?.line == 3)
        #expect(unknownDiagnostics.first?.column == 17)
        #expect(unknownDiagnostics.first?.message == "use of undeclared identifier 'missing_key'")
    }
}
