// offcputime's BPF program: time spent blocked, summed by the stacks the
// task blocked in. bcc's offcputime uses a kprobe on finish_task_switch and
// takes the stacks when the task runs again; this one uses the sched_switch
// raw tracepoint, where the task leaving the CPU is still current, so its
// stacks are taken as it blocks and stored until it is switched back in.
import BCC

/// The BPF side of offcputime.
public enum OffcputimeProgram {
    /// Which threads are traced.
    public enum Threads: Sendable, Equatable {
        /// Every thread.
        case all
        /// Threads of these processes (-p).
        case processes([Int32])
        /// These threads (-t).
        case threads([Int32])
        /// Threads of user processes (-u).
        case user
        /// Kernel threads (-k).
        case kernel
    }

    /// The program: `threads` picks the threads (the ids go into the
    /// `tgid_filter` or `tid_filter` table, see ``fill(_:threads:state:minMicros:maxMicros:)``),
    /// `filterState` keeps blocks that began in the task state in
    /// `state_filter` (--state), `userStacks`/`kernelStacks` pick the stacks
    /// taken, and `stackStorage` sizes the stack table. Blocks outside
    /// `block_limits` (minimum, maximum microseconds) are skipped.
    public static func source(threads: Threads = .all, filterState: Bool = false, userStacks: Bool = true, kernelStacks: Bool = true,
                              stackStorage: Int = 16384) -> String {
        let threadFilter: String
        var tables = TableFilters.value("min_block_us") + "\n" + TableFilters.value("max_block_us") + "\n"
        switch threads {
        case .all: threadFilter = "1"
        case .processes:
            threadFilter = "tgid_filter_has(tgid)"
            tables += TableFilters.idSet("tgid_filter") + "\n"
        case .threads:
            threadFilter = "tid_filter_has(pid)"
            tables += TableFilters.idSet("tid_filter") + "\n"
        case .user: threadFilter = "!(prev->flags & PF_KTHREAD)"
        case .kernel: threadFilter = "prev->flags & PF_KTHREAD"
        }
        if filterState { tables += TableFilters.value("state_filter") + "\n" }
        // --state 0 is TASK_RUNNING (preempted); other states are bit masks.
        let stateFilter = filterState
            ? "(state_filter_value() == 0 ? prev->__state == 0 : (prev->__state & state_filter_value()) != 0)" : "1"
        return """
            #include <uapi/linux/ptrace.h>
            #include <linux/sched.h>

            struct offcpu_key_t {
                u32 pid;
                u32 tgid;
                int user_stack_id;
                int kernel_stack_id;
                char name[TASK_COMM_LEN];
            };

            // A blocked thread: since when, and the key its time will be added to.
            struct offcpu_start_t {
                u64 ts;
                struct offcpu_key_t key;
            };

            BPF_HASH(counts, struct offcpu_key_t);
            BPF_HASH(start, u32, struct offcpu_start_t, 10240);
            BPF_STACK_TRACE(stack_traces, \(stackStorage));
            \(tables)

            RAW_TRACEPOINT_PROBE(sched_switch)
            {
                // TP_PROTO(bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state)
                struct task_struct *prev = (struct task_struct *)ctx->args[1];
                struct task_struct *next = (struct task_struct *)ctx->args[2];
                u32 pid = prev->pid;
                u32 tgid = prev->tgid;

                // prev blocks now; it is still current, so the stacks are where it blocks.
                // The idle tasks (pid 0, one per CPU) are never off CPU in this sense.
                if (pid != 0 && (\(threadFilter)) && (\(stateFilter))) {
                    struct offcpu_start_t blocked = {};
                    blocked.ts = bpf_ktime_get_ns();
                    blocked.key.pid = pid;
                    blocked.key.tgid = tgid;
                    blocked.key.user_stack_id = \(userStacks ? "stack_traces.get_stackid(ctx, BPF_F_USER_STACK)" : "-1");
                    blocked.key.kernel_stack_id = \(kernelStacks ? "stack_traces.get_stackid(ctx, 0)" : "-1");
                    bpf_get_current_comm(&blocked.key.name, sizeof(blocked.key.name));
                    start.update(&pid, &blocked);
                }

                // next runs again: add the time it was off CPU to its stacks.
                pid = next->pid;
                struct offcpu_start_t *blockedp = start.lookup(&pid);
                if (blockedp == 0)
                    return 0;   // not traced, or blocked before tracing began
                u64 t_start = blockedp->ts;
                u64 t_end = bpf_ktime_get_ns();
                struct offcpu_key_t key = blockedp->key;
                start.delete(&pid);
                if (t_start > t_end)
                    return 0;
                u64 delta = (t_end - t_start) / 1000;
                if (delta < min_block_us_value() || delta > max_block_us_value())
                    return 0;
                counts.atomic_increment(key, delta);
                return 0;
            }

            """
    }

    /// Fills the filter tables of a program made by ``source(threads:filterState:userStacks:kernelStacks:stackStorage:)``.
    public static func fill(_ b: BPF, threads: Threads, state: UInt64?, minMicros: UInt64, maxMicros: UInt64) throws(BCCError) {
        try TableFilters.fill(b, value: "min_block_us", with: minMicros)
        try TableFilters.fill(b, value: "max_block_us", with: maxMicros)
        if case .processes(let ids) = threads { try TableFilters.fill(b, idSet: "tgid_filter", with: ids) }
        if case .threads(let ids) = threads { try TableFilters.fill(b, idSet: "tid_filter", with: ids) }
        if let state { try TableFilters.fill(b, value: "state_filter", with: state) }
    }

    /// `struct offcpu_key_t`, the key of `counts`.
    public struct Key: BitwiseCopyable, Sendable {
        /// The thread.
        public var pid: UInt32
        /// Its process.
        public var tgid: UInt32
        /// get_stackid's user stack id (negative: none).
        public var userStackID: Int32
        /// get_stackid's kernel stack id (negative: none).
        public var kernelStackID: Int32
        /// `char name[16]`.
        public var name: (UInt64, UInt64)

        /// The thread's name.
        public var comm: String { withUnsafeBytes(of: name) { CText.string($0) } }
    }
}
