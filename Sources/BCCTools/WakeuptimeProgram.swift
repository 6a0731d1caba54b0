// wakeuptime's BPF program: time from a thread blocking to its wakeup,
// summed by the waker's kernel stack and both names, from the sched_switch
// and sched_wakeup raw tracepoints (bcc's wakeuptime uses them too where
// raw tracepoints exist, kprobes on schedule/try_to_wake_up elsewhere).

/// The BPF side of wakeuptime.
public enum WakeuptimeProgram {
    /// The program: `filterPid` keeps the threads of the process in
    /// `pid_filter` (as the blocked target), `userOnly` skips kernel threads,
    /// blocks outside `min_block_us`...`max_block_us` are skipped, and
    /// `stackStorage` sizes the stack table.
    public static func source(filterPid: Bool = false, userOnly: Bool = false, stackStorage: Int = 16384) -> String {
        let filter = filterPid ? "pid != pid_filter_value()" : (userOnly ? "p->flags & PF_KTHREAD" : "0")
        let tables = TableFilters.value("min_block_us") + "\n" + TableFilters.value("max_block_us")
            + (filterPid ? "\n" + TableFilters.value("pid_filter") : "")
        return """
            #include <uapi/linux/ptrace.h>
            #include <linux/sched.h>

            struct wakeup_key_t {
                int  w_k_stack_id;
                char waker[TASK_COMM_LEN];
                char target[TASK_COMM_LEN];
            };
            BPF_HASH(counts, struct wakeup_key_t);
            BPF_HASH(start, u32);
            BPF_STACK_TRACE(stack_traces, \(stackStorage));
            \(tables)

            RAW_TRACEPOINT_PROBE(sched_switch)
            {
                // TP_PROTO(bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state)
                // prev, still current, goes off CPU.
                struct task_struct *p = (struct task_struct *)ctx->args[1];
                u32 pid = p->tgid;
                u32 tid = p->pid;
                if (\(filter))
                    return 0;
                u64 ts = bpf_ktime_get_ns();
                start.update(&tid, &ts);
                return 0;
            }

            RAW_TRACEPOINT_PROBE(sched_wakeup)
            {
                // TP_PROTO(struct task_struct *p): runs in the waker.
                struct task_struct *p = (struct task_struct *)ctx->args[0];
                u32 pid = p->tgid;
                u32 tid = p->pid;
                u64 *tsp = start.lookup(&tid);
                if (tsp == 0)
                    return 0;   // missed the block
                u64 delta = (bpf_ktime_get_ns() - *tsp) / 1000;
                start.delete(&tid);
                if (\(filter))
                    return 0;
                if (delta < min_block_us_value() || delta > max_block_us_value())
                    return 0;

                struct wakeup_key_t key = {};
                key.w_k_stack_id = stack_traces.get_stackid(ctx, 0);
                bpf_probe_read_kernel_str(&key.target, sizeof(key.target), p->comm);
                bpf_get_current_comm(&key.waker, sizeof(key.waker));
                counts.atomic_increment(key, delta);
                return 0;
            }

            """
    }

    /// `struct wakeup_key_t`, the key of `counts`.
    public struct Key: BitwiseCopyable, Sendable {
        /// get_stackid's result for the waker's kernel stack.
        public var stackID: Int32
        /// `char waker[16]`.
        public var waker: (UInt32, UInt32, UInt32, UInt32)
        /// `char target[16]`.
        public var target: (UInt32, UInt32, UInt32, UInt32)

        /// The waker's name.
        public var wakerName: String { withUnsafeBytes(of: waker) { CText.string($0) } }
        /// The blocked thread's name.
        public var targetName: String { withUnsafeBytes(of: target) { CText.string($0) } }
    }
}
