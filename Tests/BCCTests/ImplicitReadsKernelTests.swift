import EBPF
import Foundation
import Testing
import TestSupport
@testable import BCC

/// bcc's implicit kernel reads against the running kernel: programs in bcc's
/// style that dereference kernel (and user) pointers directly load, and the
/// values they read match what this process knows (its pid, a child's comm,
/// the path it opened, the string it passed). Each test spawns or calls what
/// it traces and filters by its own process.
@Suite struct ImplicitReadsKernelTests {
    /// Runs /bin/true as a child of this process and returns its pid once it has exited.
    static func runChild() throws -> Int32 {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        return child.processIdentifier
    }

    /// Polls `map` for `key` until it holds a value or two seconds pass.
    static func waitForValue(_ map: Map, key: UInt32) throws -> [UInt8]? {
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline {
            if let value = try map.lookup(key: withUnsafeBytes(of: key) { Array($0) }) { return value }
            usleep(10_000)
        }
        return nil
    }

    static func u32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
    }

    static func text(_ bytes: [UInt8], _ range: Range<Int>) -> String {
        String(decoding: bytes[range].prefix { $0 != 0 }, as: UTF8.self)
    }

    // MARK: - Current task, helpers, maps, subscripts, unary *, &

    static let currentTaskProgram = """
        struct seen_t {
            u32 parent;
            u32 parent_via_helper;
            u32 parent_via_map;
            u32 parent_via_probe_read;
            u32 tgid_via_pointer;
            char comm[4];
        };
        BPF_HASH(tasks, u32, struct task_struct *);
        BPF_HASH(seen, u32, struct seen_t);

        static struct task_struct *parent_of(struct task_struct *task) {
            return task->real_parent;
        }

        // The child's exec: remember its task_struct.
        TRACEPOINT_PROBE(sched, sched_process_exec) {
            struct task_struct *task = (struct task_struct *)bpf_get_current_task();
            if (task->real_parent->tgid != PARENT_PID)
                return 0;
            u32 tgid = task->tgid;
            tasks.update(&tgid, &task);
            return 0;
        }

        // Its exit: read the same facts five ways.
        TRACEPOINT_PROBE(sched, sched_process_exit) {
            u32 tgid = bpf_get_current_pid_tgid() >> 32;
            struct task_struct **stored = tasks.lookup(&tgid);
            if (!stored)
                return 0;
            struct task_struct *task = (struct task_struct *)bpf_get_current_task();
            struct seen_t s = {};
            s.parent = task->real_parent->tgid;
            s.parent_via_helper = parent_of(task)->tgid;
            s.parent_via_map = (*stored)->real_parent->tgid;
            struct task_struct *parent = 0;
            bpf_probe_read_kernel(&parent, sizeof(parent), &task->real_parent);
            s.parent_via_probe_read = parent->tgid;
            int *tgid_pointer = &task->tgid;
            s.tgid_via_pointer = *tgid_pointer;
            char *comm = task->comm;
            s.comm[0] = task->comm[0];
            s.comm[1] = comm[1];
            s.comm[2] = *(comm + 2);
            seen.update(&tgid, &s);
            tasks.delete(&tgid);
            return 0;
        }
        """

    @Test func currentTaskParentThroughHelpersMapsAndPointers() throws {
        let b = try BPF(text: Self.currentTaskProgram, cflags: ["-DPARENT_PID=\(getpid())"])
        defer { b.close() }
        let child = try Self.runChild()
        let value = try #require(try Self.waitForValue(try b.map(named: "seen"), key: UInt32(child)), "no record for child \(child)")
        // The child's parent is this process: getppid() in the child is our pid.
        let parent = UInt32(getpid())
        #expect(Self.u32(value, 0) == parent)
        #expect(Self.u32(value, 4) == parent)
        #expect(Self.u32(value, 8) == parent)
        #expect(Self.u32(value, 12) == parent)
        #expect(Self.u32(value, 16) == UInt32(child))
        #expect(Self.text(value, 20..<24) == "tru")
    }

    // MARK: - Raw tracepoint arguments

    static let rawTracepointProgram = """
        struct fork_t { u32 parent; u32 child; char path[12]; };
        BPF_HASH(forks, u32, struct fork_t);
        BPF_HASH(execs, u32, struct fork_t);

        RAW_TRACEPOINT_PROBE(sched_process_fork) {
            struct task_struct *parent = (struct task_struct *)ctx->args[0];
            struct task_struct *child = (struct task_struct *)ctx->args[1];
            if (parent->tgid != PARENT_PID)
                return 0;
            struct fork_t f = {};
            f.parent = parent->tgid;
            f.child = child->pid;
            u32 key = f.child;
            forks.update(&key, &f);
            return 0;
        }

        // sched_process_exec(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
        RAW_TRACEPOINT_PROBE(sched_process_exec) {
            struct task_struct *task = (struct task_struct *)ctx->args[0];
            struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
            if (task->real_parent->tgid != PARENT_PID)
                return 0;
            struct fork_t e = {};
            e.parent = task->real_parent->tgid;
            e.child = task->tgid;
            const char *path = bprm->filename;
            #pragma unroll
            for (int i = 0; i < 9; i++)
                e.path[i] = path[i];
            u32 key = e.child;
            execs.update(&key, &e);
            return 0;
        }
        """

    @Test func rawTracepointArgumentsAreReadThrough() throws {
        let b = try BPF(text: Self.rawTracepointProgram, cflags: ["-DPARENT_PID=\(getpid())"])
        defer { b.close() }
        let child = try Self.runChild()
        let fork = try #require(try Self.waitForValue(try b.map(named: "forks"), key: UInt32(child)), "no fork record for \(child)")
        #expect(Self.u32(fork, 0) == UInt32(getpid()))
        #expect(Self.u32(fork, 4) == UInt32(child))
        let exec = try #require(try Self.waitForValue(try b.map(named: "execs"), key: UInt32(child)), "no exec record for \(child)")
        #expect(Self.u32(exec, 0) == UInt32(getpid()))
        #expect(Self.text(exec, 8..<20) == "/bin/true")
    }

    // MARK: - User addresses

    static let openatProgram = """
        struct open_t { char first; char name[23]; };
        BPF_HASH(opens, u32, struct open_t);

        TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
            u64 id = bpf_get_current_pid_tgid();
            if ((id >> 32) != TARGET_PID)
                return 0;
            const char *name = args->filename;
            if (name[0] != '/' || name[1] != 'x' || name[2] != '-')
                return 0;
            struct open_t o = {};
            o.first = *args->filename;
            #pragma unroll
            for (int i = 0; i < 22; i++)
                o.name[i] = name[i];
            u32 tid = id;
            opens.update(&tid, &o);
            return 0;
        }
        """

    @Test func syscallArgumentsAreReadAsUserMemory() throws {
        let b = try BPF(text: Self.openatProgram, cflags: ["-DTARGET_PID=\(getpid())"])
        defer { b.close() }
        let path = "/x-\(UInt32.random(in: 0...UInt32.max))-implicit"
        let fd = open(path, O_RDONLY)
        if fd >= 0 { close(fd) }
        let tid = UInt32(try TestSupport.currentThreadID())
        let value = try #require(try Self.waitForValue(try b.map(named: "opens"), key: tid), "no openat record for thread \(tid)")
        #expect(value[0] == UInt8(ascii: "/"))
        #expect(Self.text(value, 1..<24) == String(path.prefix(22)))
    }

    // MARK: - Uprobe registers and perf events

    static let uprobeProgram = """
        struct call_t { char name[24]; u32 parent; };
        BPF_HASH(calls, u32, struct call_t);

        int on_getenv(struct pt_regs *ctx) {
            u64 id = bpf_get_current_pid_tgid();
            if ((id >> 32) != TARGET_PID)
                return 0;
            // A uprobe's registers hold user addresses; the reads fall back to user memory.
            const char *name = (const char *)PT_REGS_PARM1(ctx);
            if (name[0] != 'X' || name[1] != '_')
                return 0;
            struct call_t c = {};
            #pragma unroll
            for (int i = 0; i < 23; i++)
                c.name[i] = name[i];
            u32 tid = id;
            calls.update(&tid, &c);
            return 0;
        }

        int on_tick(struct bpf_perf_event_data *ctx) {
            struct task_struct *task = (struct task_struct *)bpf_get_current_task();
            if (task->tgid != TARGET_PID)
                return 0;
            struct call_t c = {};
            c.parent = task->real_parent->tgid;
            u32 key = 0;
            calls.update(&key, &c);
            return 0;
        }
        """

    @Test func uprobeRegistersAndPerfEventTasksAreRead() throws {
        let b = try BPF(text: Self.uprobeProgram, cflags: ["-DTARGET_PID=\(getpid())"])
        defer { b.close() }
        try b.attachUprobe(name: "c", sym: "getenv", fnName: "on_getenv", pid: getpid())
        try b.attachPerfEvent(evType: 1 /* PERF_TYPE_SOFTWARE */, evConfig: 0 /* CPU clock */, fnName: "on_tick", sampleFreq: 1000)
        let name = "X_IMPLICIT_\(UInt32.random(in: 0...999_999))"
        _ = getenv(name)
        let tid = UInt32(try TestSupport.currentThreadID())
        let calls = try b.map(named: "calls")
        let call = try #require(try Self.waitForValue(calls, key: tid), "no getenv record for thread \(tid)")
        #expect(Self.text(call, 0..<24) == name)

        // Spin until a CPU-clock sample lands in this process.
        let deadline = Date().addingTimeInterval(3)
        var tick: [UInt8]?
        while tick == nil && Date() < deadline {
            var spin = 0
            for i in 0..<2_000_000 { spin &+= i }
            #expect(spin != 1)
            tick = try calls.lookup(key: [0, 0, 0, 0])
        }
        let sample = try #require(tick, "no CPU-clock sample in this process")
        #expect(Self.u32(sample, 24) == UInt32(getppid()))
    }
}
