import EBPF
import Foundation
import Testing
@testable import BCC
import TestSupport

/// Every table macro and method in one program, run once by a getppid()
/// of this process; each effect is read back from Swift.
private let everyTableProgram = """
    #include <linux/sched.h>
    BPF_HASH(counts, u32, u64);
    BPF_HASH(kv, u32, u64, 16);
    BPF_ARRAY(slots, u64, 4);
    BPF_HISTOGRAM(dist);
    BPF_PERCPU_HASH(pc_hash, u32, u64);
    BPF_PERCPU_ARRAY(pc_array, u64, 2);
    BPF_LRU_HASH(recent, u32, u64, 8);
    BPF_STACK_TRACE(stacks, 16);
    BPF_HASH(stack_ids, u32, s64);
    BPF_PERF_OUTPUT(perf_events);
    BPF_RINGBUF_OUTPUT(ring, 1);
    BPF_TABLE("hash", u32, u64, explicit_table, 4);
    BPF_ARRAY(results, u64, 8);
    BPF_F_TABLE("hash", u32, u64, unpreallocated, 8, BPF_F_NO_PREALLOC);

    struct sample_t {
        u32 pid;
        u64 marker;
    };

    TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
        u32 pid = bpf_get_current_pid_tgid() >> 32;
        if (pid != TARGET_PID)
            return 0;
        u32 one = 1, two = 2, three = 3, four = 4;
        u64 ten = 10, twenty = 20, zero = 0;
        counts.increment(one);
        counts.increment(two, 5);
        unpreallocated.update(&one, &twenty);
        kv.update(&one, &ten);
        kv.insert(&one, &twenty);
        kv.insert(&two, &twenty);
        kv.delete(&three);
        u64 *value = kv.lookup(&one);
        if (value) {
            u64 copy = *value + 1;
            explicit_table.update(&one, &copy);
        }
        u64 *initialized = kv.lookup_or_try_init(&four, &zero);
        if (initialized)
            *initialized += 7;
        slots.atomic_increment(one, 3);
        dist.increment(bpf_log2l(1000));
        pc_hash.increment(one);
        int first = 0;
        u64 *slot = pc_array.lookup(&first);
        if (slot)
            *slot += 1;
        recent.update(&one, &ten);
        s64 id = stacks.get_stackid(args, BPF_F_USER_STACK);
        stack_ids.update(&one, &id);
        struct sample_t data = {};
        data.pid = pid;
        data.marker = 0xfeed;
        perf_events.perf_submit(args, &data, sizeof(data));
        ring.ringbuf_output(&data, sizeof(data), 0);
        struct sample_t *reserved = ring.ringbuf_reserve(sizeof(struct sample_t));
        if (reserved) {
            reserved->pid = pid;
            reserved->marker = 0xbeef;
            ring.ringbuf_submit(reserved, BPF_RB_FORCE_WAKEUP);
        }
        struct sample_t *dropped = ring.ringbuf_reserve(sizeof(struct sample_t));
        if (dropped) {
            dropped->marker = 0xdead;
            ring.ringbuf_discard(dropped, 0);
        }
        int pageKey = 6, flagsKey = 7;
        u64 page = PAGE_SIZE, flags = O_CREAT | O_WRONLY | AF_INET6;
        results.update(&pageKey, &page);
        results.update(&flagsKey, &flags);
        int sizeKey = 5;
        u64 size = ring.ringbuf_query(BPF_RB_RING_SIZE);
        results.update(&sizeKey, &size);
        return 0;
    }
    """

private func key32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
private func u64(_ bytes: [UInt8]?) -> UInt64? { bytes.map { $0.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } } }

extension BPFKernelTests {
    @Test func everyTableMacroAndMethodTakesEffect() throws {
        try expectKernelObjectsFreed(loading: { try BPF(text: everyTableProgram, cflags: ["-DTARGET_PID=\(getpid())"]) }) { b in
            try b.map(named: "kv").update(key: key32(3), value: [UInt8](repeating: 1, count: 8))

            var perfMarkers: [UInt64] = []
            let perf = try PerfBuffer(map: try b.map(named: "perf_events"), pageCount: 1) { _, data in
                if data.loadUnaligned(fromByteOffset: 0, as: UInt32.self) == UInt32(getpid()) {
                    perfMarkers.append(data.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                }
            }
            defer { perf.close() }
            let poller = try RingBufferPoller()
            defer { poller.close() }
            var ringMarkers: [UInt64] = []
            try poller.add(map: try b.map(named: "ring")) { record in
                ringMarkers.append(record.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            }

            _ = getppid()

            let deadline = Date().addingTimeInterval(5)
            while (ringMarkers.count < 2 || perfMarkers.isEmpty) && Date() < deadline {
                try poller.poll(timeout: 50)
                _ = try perf.consume()
            }
            #expect(ringMarkers == [0xfeed, 0xbeef])
            #expect(perfMarkers == [0xfeed])

            #expect(u64(try b.map(named: "counts").lookup(key: key32(1))) == 1)
            #expect(u64(try b["counts"][key32(2)]) == 5)
            #expect(u64(try b.map(named: "counts").lookup(key: key32(2))) == 5)
            let kv = try b.map(named: "kv")
            #expect(u64(try kv.lookup(key: key32(1))) == 10)
            #expect(u64(try kv.lookup(key: key32(2))) == 20)
            #expect(try kv.lookup(key: key32(3)) == nil)
            #expect(u64(try kv.lookup(key: key32(4))) == 7)
            #expect(u64(try b.map(named: "explicit_table").lookup(key: key32(1))) == 11)
            #expect(u64(try b.map(named: "unpreallocated").lookup(key: key32(1))) == 20)
            #expect(try b.map(named: "unpreallocated").flags == 1 /* BPF_F_NO_PREALLOC */)
            #expect(u64(try b.map(named: "slots").lookup(key: key32(1))) == 3)
            #expect(try b.map(named: "dist").type == .array)
            #expect(u64(try b.map(named: "dist").lookup(key: key32(10))) == 1)
            let perCPUHash = try #require(try b.map(named: "pc_hash").lookupPerCPU(key: key32(1)))
            #expect(perCPUHash.compactMap(u64).reduce(0, +) == 1)
            let perCPUArray = try #require(try b.map(named: "pc_array").lookupPerCPU(key: key32(0)))
            #expect(perCPUArray.compactMap(u64).reduce(0, +) == 1)
            #expect(try b.map(named: "recent").type == .lruHash)
            #expect(u64(try b.map(named: "recent").lookup(key: key32(1))) == 10)
            let stackID = Int64(bitPattern: try #require(u64(try b.map(named: "stack_ids").lookup(key: key32(1)))))
            #expect(stackID >= 0)
            let frames = try #require(try b.map(named: "stacks").lookup(key: key32(UInt32(truncatingIfNeeded: stackID))))
            #expect(u64(Array(frames.prefix(8))) != 0)
            #expect(u64(try b.map(named: "results").lookup(key: key32(5))) == UInt64(sysconf(Int32(_SC_PAGESIZE))))
            #expect(u64(try b.map(named: "results").lookup(key: key32(6))) == UInt64(sysconf(Int32(_SC_PAGESIZE))))
            #expect(u64(try b.map(named: "results").lookup(key: key32(7))) == UInt64(O_CREAT | O_WRONLY | AF_INET6))
            let lost = try #require(try b.lostCounter(forRing: "ring").lookupPerCPU(key: key32(0)))
            #expect(lost.compactMap(u64).reduce(0, +) == 0)
        }
    }

    @Test func ringBufferDropsAreCountedInTheLostCounter() throws {
        // 64 records of 512 bytes into one page: most cannot fit, nobody reads.
        try expectKernelObjectsFreed(loading: {
            try BPF(text: """
                struct big { u32 pid; char payload[508]; };
                BPF_RINGBUF_OUTPUT(tiny, 1);
                BPF_PERCPU_ARRAY(scratch, struct big, 1);
                TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
                    if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID)
                        return 0;
                    int zero = 0;
                    struct big *record = scratch.lookup(&zero);
                    if (!record)
                        return 0;
                    for (int i = 0; i < 32; i++)
                        tiny.ringbuf_output(record, sizeof(*record), 0);
                    for (int i = 0; i < 32; i++) {
                        struct big *slot = tiny.ringbuf_reserve(sizeof(struct big));
                        if (slot)
                            tiny.ringbuf_submit(slot, 0);
                    }
                    return 0;
                }
                """, cflags: ["-DTARGET_PID=\(getpid())"])
        }) { b in
            _ = getppid()
            let lost = try #require(try b.lostCounter(forRing: "tiny").lookupPerCPU(key: key32(0)))
            let total = lost.compactMap(u64).reduce(0, +)
            // A page holds at most 7 records of 512 + 8 bytes; the other 57 were dropped.
            #expect(total >= 57)
            #expect(total <= 64)
        }
    }
}
