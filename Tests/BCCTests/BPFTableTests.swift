import EBPF
import Foundation
import Testing
import TestSupport
@testable import BCC

/// Tables of programs written in bcc's C, filled by BPF from events this test
/// triggers (getppid calls from its own process) and read and written from Swift.
@Suite(.serialized) struct BPFTableTests {
    static let program = """
        #include <linux/sched.h>

        struct owner_key {
            u32 pid;
            u64 slot;
        };

        BPF_ARRAY(config, u32, 1);
        BPF_HASH(counts, u32, u64);
        BPF_ARRAY(last, u64, 4);
        BPF_PERCPU_ARRAY(percpu, u64, 1);
        BPF_LRU_HASH(lru, u32, u64, 16);
        BPF_HISTOGRAM(dist, struct owner_key);
        BPF_HISTOGRAM(linear, int, 16);
        BPF_STACK_TRACE(stacks, 64);
        BPF_HASH(kstack, u32, int);
        BPF_HASH(ustack, u32, int);

        TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
        {
            u32 zero = 0;
            u32 *target = config.lookup(&zero);
            u32 pid = bpf_get_current_pid_tgid() >> 32;
            if (!target || *target != pid)
                return 0;
            counts.increment(pid);
            u64 *value = counts.lookup(&pid);
            u64 seen = value ? *value : 0;
            u32 index = 1;
            last.update(&index, &seen);
            percpu.increment(zero);
            lru.increment(pid, 3);
            struct owner_key key = {};
            key.pid = pid;
            key.slot = bpf_log2l(seen);
            dist.increment(key);
            linear.increment((int)(seen % 4));
            int kid = stacks.get_stackid(args, 0);
            kstack.update(&pid, &kid);
            int uid = stacks.get_stackid(args, BPF_F_USER_STACK);
            ustack.update(&pid, &uid);
            return 0;
        }
        """

    /// Loads the program, aims it at this process and makes `calls` getppid calls.
    static func run(calls: Int) throws -> BPF {
        let b = try BPF(text: program)
        try b["config"].typed(key: UInt32.self, value: UInt32.self).set(0, UInt32(getpid()))
        for _ in 0 ..< calls { _ = getppid() }
        return b
    }

    @Test func hashArrayPerCPUAndLRUFilledByBPF() throws {
        let before = TestSupport.openDescriptorCount()
        do {
            let b = try Self.run(calls: 5)
            defer { b.close() }
            let pid = UInt32(getpid())
            #expect(try b["counts"].typed(key: UInt32.self, value: UInt64.self)[pid] == 5)
            #expect(try b["last"].typed(key: UInt32.self, value: UInt64.self).values() == [0, 5, 0, 0])
            #expect(try b["percpu"].typed(key: UInt32.self, value: UInt64.self).sum(0) == 5)
            #expect(try b["lru"].typed(key: UInt32.self, value: UInt64.self)[pid] == 15)
            #expect(try b["percpu"].perCPUValues([0, 0, 0, 0])?.count == (try PossibleCPUs.count()))
        }
        #expect(TestSupport.openDescriptorCount() == before)
    }

    @Test func swiftWritesWhatBPFReads() throws {
        let b = try Self.run(calls: 2)
        defer { b.close() }
        let counts = try b["counts"].typed(key: UInt32.self, value: UInt64.self)
        let pid = UInt32(getpid())
        // BPF increments what Swift stored.
        try counts.set(pid, 100)
        _ = getppid()
        #expect(try counts[pid] == 101)
        // Aiming the program elsewhere from Swift stops the counting.
        try b["config"].typed(key: UInt32.self, value: UInt32.self).set(0, 0)
        _ = getppid()
        #expect(try counts[pid] == 101)
        try counts.delete(pid)
        #expect(try counts.items().isEmpty)
        #expect(throws: BCCError.self) { try b["nope"] }
    }

    @Test func histogramsFromBPFPrintLikeBcc() throws {
        let b = try Self.run(calls: 6)
        defer { b.close() }
        // seen = 1...6 gives log2 slots 1, 2, 2, 3, 3, 3.
        var text = ""
        try b["dist"].writeHistogram(.log2, valType: "calls", sectionHeader: "pid", to: &text)
        #expect(text == """

            pid = \(getpid())
                 calls               : count     distribution
                     0 -> 1          : 1        |*************                           |
                     2 -> 3          : 2        |**************************              |
                     4 -> 7          : 3        |****************************************|

            """)
        // seen % 4 = 1, 2, 3, 0, 1, 2.
        var linear = ""
        try b["linear"].writeHistogram(.linear, to: &linear)
        #expect(linear == """
                 value         : count     distribution
                    0          : 1        |********************                    |
                    1          : 2        |****************************************|
                    2          : 2        |****************************************|
                    3          : 1        |********************                    |

            """)
        var named = ""
        try b["dist"].writeHistogram(.log2, sectionHeader: "comm", sectionPrintFn: { _ in "me" },
                                     stripLeadingZero: true, to: &named)
        #expect(named.hasPrefix("\ncomm = me\n"))
    }

    @Test func stackTracesWalkToSymbols() throws {
        let b = try Self.run(calls: 1)
        defer { b.close() }
        let pid = UInt32(getpid())
        let kernelID = try #require(try b["kstack"].typed(key: UInt32.self, value: Int32.self)[pid])
        let kernelStack = try b["stacks"].stack(Int64(kernelID))
        #expect(!kernelStack.isEmpty)
        #expect(kernelStack.contains { $0.symbol != "[unknown]" })
        // The syscall entry is on every kernel stack of a syscall tracepoint.
        #expect(kernelStack.contains { $0.symbol.contains("syscall") || $0.symbol.contains("SYSCALL") },
                "\(kernelStack.map(\.symbol))")
        let userID = try #require(try b["ustack"].typed(key: UInt32.self, value: Int32.self)[pid])
        let userStack = try b["stacks"].stack(Int64(userID), pid: Int32(pid), showModule: true)
        // The innermost user frame is libc's getppid wrapper.
        #expect(userStack.first.map { $0.symbol.contains("getppid") } == true, "\(userStack.map(\.symbol))")
        #expect(throws: BCCError.self) { try b["stacks"].walk(-14) }
        #expect(throws: BCCError.self) { try b["counts"].walk(0) }
    }
}
