import EBPF
import Foundation
import Testing
@testable import BCC
import TestSupport

/// Functions attached with bcc's explicit calls; each counts into its own slot.
private let explicitAttachProgram = """
    BPF_ARRAY(hits, u64, 5);

    static void hit(int slot) {
        if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID)
            return;
        hits.atomic_increment(slot);
    }

    int on_getppid(struct tracepoint__syscalls__sys_enter_getppid *args) { hit(0); return 0; }
    int on_sys_enter(struct bpf_raw_tracepoint_args *ctx) { if (ctx->args[1] == 110) hit(1); return 0; }
    int on_getpid(struct pt_regs *ctx) { hit(2); return 0; }
    int on_tick(struct bpf_perf_event_data *ctx) { hit(3); return 0; }
    int on_getpid_return(struct pt_regs *ctx) { if (PT_REGS_RC(ctx) == TARGET_PID) hit(4); return 0; }
    """

extension BPFKernelTests {
    func hits(_ b: BPF) throws -> [UInt64] {
        let map = try b.map(named: "hits")
        return try (0..<UInt32(map.maxEntries)).map { (slot: UInt32) in
            let value = try map.lookup(key: withUnsafeBytes(of: slot) { Array($0) }) ?? []
            return value.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        }
    }

    @Test func explicitAttachAndDetachCallsTakeBccNames() throws {
        try expectKernelObjectsFreed(loading: {
            try BPF(text: explicitAttachProgram, cflags: ["-DTARGET_PID=\(getpid())"])
        }) { b in
            #expect(b.attachedProbes.isEmpty)
            try b.attachTracepoint(tp: "syscalls:sys_enter_getppid", fnName: "on_getppid")
            try b.attachRawTracepoint(tp: "sys_enter", fnName: "on_sys_enter")
            try b.attachUprobe(name: "c", sym: "getpid", fnName: "on_getpid", pid: getpid())
            // All processes (a pid is one thread; tests run on worker threads): the program filters.
            try b.attachPerfEvent(evType: 1 /* PERF_TYPE_SOFTWARE */, evConfig: 0 /* CPU clock */, fnName: "on_tick",
                                  sampleFreq: 1000)
            try b.attachUretprobe(name: "c", sym: "getpid", fnName: "on_getpid_return", pid: getpid())
            #expect(b.attachedProbes.count == 5)
            #expect(throws: BCCError.invalidUse(object: "tracepoint syscalls:sys_enter_getppid -> on_getppid", detail: "is already attached")) {
                try b.attachTracepoint(tp: "syscalls:sys_enter_getppid", fnName: "on_getppid")
            }

            // getppid (syscall 110 on x86_64) and getpid through libc; spin for CPU-clock samples.
            let deadline = Date().addingTimeInterval(3)
            var counts = try hits(b)
            while counts.contains(0) && Date() < deadline {
                _ = getppid()
                _ = getpid()
                var spin = 0
                for i in 0..<2_000_000 { spin &+= i }
                #expect(spin != 1)
                counts = try hits(b)
            }
            #expect(counts.allSatisfy { $0 > 0 }, "hits per function: \(counts)")

            try b.detachTracepoint(tp: "syscalls:sys_enter_getppid", fnName: "on_getppid")
            try b.detachRawTracepoint(tp: "sys_enter", fnName: "on_sys_enter")
            try b.detachUprobe(name: "c", sym: "getpid", fnName: "on_getpid", pid: getpid())
            try b.detachPerfEvent(evType: 1, evConfig: 0, fnName: "on_tick")
            try b.detachUretprobe(name: "c", sym: "getpid", fnName: "on_getpid_return", pid: getpid())
            #expect(b.attachedProbes.isEmpty)
            // The kernel finishes a detach in deferred work, and the other suites'
            // threads (this process's pid) call getppid too: wait for the counts
            // of the syscall probes to stand still while this thread calls again.
            var afterDetach = try hits(b)
            var stopped = false
            for _ in 0..<40 where !stopped {
                _ = getppid()
                _ = getpid()
                let now = try hits(b)
                stopped = now[0...2] == afterDetach[0...2]
                if !stopped {
                    afterDetach = now
                    usleep(50_000)
                }
            }
            #expect(stopped, "the detached functions kept counting: \(afterDetach)")
            #expect(throws: BCCError.invalidUse(object: "tracepoint syscalls:sys_enter_getppid -> on_getppid", detail: "is not attached")) {
                try b.detachTracepoint(tp: "syscalls:sys_enter_getppid", fnName: "on_getppid")
            }
        }
    }

    static let kfuncProgram = """
        BPF_ARRAY(hits, u64, 2);
        KFUNC_PROBE(do_sys_openat2, int dfd, const char *filename) {
            if ((bpf_get_current_pid_tgid() >> 32) == TARGET_PID)
                hits.atomic_increment(0);
            return 0;
        }
        RAW_TRACEPOINT_PROBE(sys_enter) {
            if ((bpf_get_current_pid_tgid() >> 32) == TARGET_PID)
                hits.atomic_increment(1);
            return 0;
        }
        """

    static var trampolinesAvailable: Bool {
        do {
            try TracingLink.requireTrampolines()
            return true
        } catch BPFError.notSupported {
            return false
        } catch {
            return true // a missing privilege must fail, not skip
        }
    }

    @Test(.enabled(if: trampolinesAvailable, "the kernel forbids fentry/fexit (BPF trampolines)"))
    func kfuncAndRawTracepointProbesAutoAttach() throws {
        try expectKernelObjectsFreed(loading: {
            try BPF(text: Self.kfuncProgram, cflags: ["-DTARGET_PID=\(getpid())"])
        }) { b in
            #expect(b.attachedProbes == ["kfunc do_sys_openat2 -> kfunc__do_sys_openat2", "raw_tracepoint sys_enter -> raw_tracepoint__sys_enter"])
            let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
            close(fd)
            let counts = try hits(b)
            #expect(counts[0] > 0)
            #expect(counts[1] > 0)
        }
    }

    /// Where the kernel has no trampolines, KFUNC_PROBE fails with the kernel's reason, and nothing stays loaded.
    @Test(.enabled(if: !trampolinesAvailable, "the kernel has fentry/fexit; the other test runs"))
    func kfuncProbeWithoutTrampolinesSaysWhy() throws {
        // A map name of this run's own, to find it (or not) among all the kernel's maps.
        let mapName = "kf\(UInt32.random(in: .min ... .max))"
        #expect {
            try BPF(text: Self.kfuncProgram.replacingOccurrences(of: "hits", with: mapName),
                    cflags: ["-DTARGET_PID=\(getpid())"])
        } throws: { error in
            guard case BCCError.kernel("load", "<text>", .notSupported(let feature, _)) = error else { return false }
            return feature.contains("fentry")
        }
        expectNoKernelMap(named: mapName)
    }

    @Test func rawTracepointProbeAutoAttaches() throws {
        try expectKernelObjectsFreed(loading: {
            try BPF(text: """
                BPF_ARRAY(hits, u64, 1);
                RAW_TRACEPOINT_PROBE(sys_enter) {
                    if ((bpf_get_current_pid_tgid() >> 32) == TARGET_PID)
                        hits.atomic_increment(0);
                    return 0;
                }
                """, cflags: ["-DTARGET_PID=\(getpid())"])
        }) { b in
            #expect(b.attachedProbes == ["raw_tracepoint sys_enter -> raw_tracepoint__sys_enter"])
            _ = getppid()
            let value = try #require(try b.map(named: "hits").lookup(key: [0, 0, 0, 0]))
            #expect(value.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } > 0)
        }
    }
}
