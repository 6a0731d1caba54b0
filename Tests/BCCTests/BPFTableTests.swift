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

        BPF_ARRAY(cfg_pid, u32, 1);
        BPF_HASH(calls, u32, u64);
        BPF_ARRAY(last_seen, u64, 4);
        BPF_PERCPU_ARRAY(pcpu_calls, u64, 1);
        BPF_LRU_HASH(lru_calls, u32, u64, 16);
        BPF_HISTOGRAM(dist, struct owner_key);
        BPF_HISTOGRAM(linear_dist, int, 16);
        // One map per kind: a kernel and a user stack hashing to one bucket would
        // make get_stackid fail with EEXIST (no BPF_F_REUSE_STACKID).
        BPF_STACK_TRACE(kernel_stacks, 16);
        BPF_STACK_TRACE(user_stacks, 16);
        BPF_HASH(kstack_ids, u32, int);
        BPF_HASH(ustack_ids, u32, int);

        TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
        {
            u32 zero = 0;
            u32 *target = cfg_pid.lookup(&zero);
            u32 pid = bpf_get_current_pid_tgid() >> 32;
            if (!target || *target != pid)
                return 0;
            calls.increment(pid);
            u64 *value = calls.lookup(&pid);
            u64 seen = value ? *value : 0;
            u32 index = 1;
            last_seen.update(&index, &seen);
            pcpu_calls.increment(zero);
            lru_calls.increment(pid, 3);
            struct owner_key key = {};
            key.pid = pid;
            key.slot = bpf_log2l(seen);
            dist.increment(key);
            linear_dist.increment((int)(seen % 4));
            int kid = kernel_stacks.get_stackid(args, 0);
            kstack_ids.update(&pid, &kid);
            int uid = user_stacks.get_stackid(args, BPF_F_USER_STACK);
            ustack_ids.update(&pid, &uid);
            return 0;
        }
        """

    /// Loads the program, aims it at this process and makes `calls` getppid calls.
    static func run(calls: Int) throws -> BPF {
        let b = try BPF(text: program)
        try b["cfg_pid"].typed(key: UInt32.self, value: UInt32.self).set(0, UInt32(getpid()))
        for _ in 0 ..< calls { _ = getppid() }
        return b
    }

    @Test func hashArrayPerCPUAndLRUFilledByBPF() throws {
        try expectKernelObjectsFreed(loading: { try Self.run(calls: 5) }) { b throws in
            let pid = UInt32(getpid())
            #expect(try b["calls"].typed(key: UInt32.self, value: UInt64.self)[pid] == 5)
            #expect(try b["last_seen"].typed(key: UInt32.self, value: UInt64.self).values() == [0, 5, 0, 0])
            #expect(try b["pcpu_calls"].typed(key: UInt32.self, value: UInt64.self).sum(0) == 5)
            #expect(try b["lru_calls"].typed(key: UInt32.self, value: UInt64.self)[pid] == 15)
            #expect(try b["pcpu_calls"].perCPUValues([0, 0, 0, 0])?.count == (try PossibleCPUs.count()))
        }
    }

    @Test func swiftWritesWhatBPFReads() throws {
        let b = try Self.run(calls: 2)
        defer { b.close() }
        let calls = try b["calls"].typed(key: UInt32.self, value: UInt64.self)
        let pid = UInt32(getpid())
        // BPF increments what Swift stored.
        try calls.set(pid, 100)
        _ = getppid()
        #expect(try calls[pid] == 101)
        // Aiming the program elsewhere from Swift stops the counting.
        try b["cfg_pid"].typed(key: UInt32.self, value: UInt32.self).set(0, 0)
        _ = getppid()
        #expect(try calls[pid] == 101)
        try calls.delete(pid)
        #expect(try calls.items().isEmpty)
        #expect { try b["nope"] } throws: { error in
            guard case let BCCError.tableNotFound("nope", available) = error else { return false }
            return available.contains("calls") && available.contains("cfg_pid")
        }
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
        var linear_dist = ""
        try b["linear_dist"].writeHistogram(.linear, to: &linear_dist)
        #expect(linear_dist == """
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
        let kernelID = try #require(try b["kstack_ids"].typed(key: UInt32.self, value: Int32.self)[pid])
        let kernelStack = try b["kernel_stacks"].stack(Int64(kernelID))
        #expect(!kernelStack.isEmpty)
        #expect(kernelStack.contains { $0.symbol != "[unknown]" })
        // The syscall entry is on every kernel stack of a syscall tracepoint.
        #expect(kernelStack.contains { $0.symbol.contains("syscall") || $0.symbol.contains("SYSCALL") },
                "\(kernelStack.map(\.symbol))")
        let userID = try #require(try b["ustack_ids"].typed(key: UInt32.self, value: Int32.self)[pid])
        let userStack = try b["user_stacks"].stack(Int64(userID), pid: Int32(pid), showModule: true)
        // The innermost user frame is libc's getppid wrapper.
        #expect(userStack.first.map { $0.symbol.contains("getppid") } == true, "\(userStack.map(\.symbol))")
        #expect(throws: BCCError.invalidUse(object: "table 'kernel_stacks'", detail: "stack id -14 is get_stackid's error 14, not a stack")) {
            try b["kernel_stacks"].walk(-14)
        }
        #expect { try b["calls"].walk(0) } throws: { error in
            guard case BCCError.invalidUse("table 'calls'", let detail) = error else { return false }
            return detail.hasSuffix("not a stack trace map")
        }
    }

    @Test func keysAndValuesDecodeFromBTF() throws {
        let b = try Self.run(calls: 3)
        defer { b.close() }
        let pid = UInt64(getpid())
        let calls = try b["calls"].decodedItems()
        #expect(calls.count == 1)
        #expect(calls.first?.key.uint == pid)
        #expect(calls.first?.value.uint == 3)
        let dist = try b["dist"].decodedItems()
        #expect(dist.allSatisfy { $0.key.pid?.uint == pid })
        #expect(Set(dist.compactMap { $0.key.slot?.uint }) == [1, 2])
        let pcpu_calls = try b["pcpu_calls"].decodedValue([0, 0, 0, 0])
        #expect(pcpu_calls?.array?.compactMap(\.uint).reduce(0, +) == 3)
    }
}
