// runqlat's BPF program: run queue latency from the scheduler's raw
// tracepoints, stored as a log2 histogram, as bcc's runqlat does.

/// The BPF side of runqlat.
public enum RunqlatProgram {
    /// How latencies are grouped.
    public enum Grouping: Sendable {
        /// One histogram.
        case none
        /// One histogram per process (bcc's -P).
        case process
        /// One histogram per thread (bcc's -L).
        case thread
        /// One histogram per PID namespace (bcc's --pidnss), by its inode number.
        case pidNamespace
    }

    /// The program: `milliseconds` stores msecs instead of usecs, `pid` keeps
    /// one process, `grouping` chooses the histogram key.
    public static func source(milliseconds: Bool = false, pid: Int32? = nil, grouping: Grouping = .none) -> String {
        let filter = pid.map { "tgid != \($0)" } ?? "0"
        let factor = milliseconds ? "delta /= 1000000;" : "delta /= 1000;"
        let storage: String
        let store: String
        switch grouping {
        case .none:
            storage = "BPF_HISTOGRAM(dist);"
            store = "dist.atomic_increment(bpf_log2l(delta));"
        case .process, .thread:
            storage = "BPF_HISTOGRAM(dist, pid_key_t, 32768);"
            let id = grouping == .process ? "tgid" : "pid"
            store = "pid_key_t key = {}; key.id = \(id); key.slot = bpf_log2l(delta); dist.atomic_increment(key);"
        case .pidNamespace:
            // The namespace of the task that waited (bcc's names the one switched out).
            storage = "BPF_HISTOGRAM(dist, pid_key_t, 1024);"
            store = "pid_key_t key = {}; key.id = pid_namespace(next); key.slot = bpf_log2l(delta); dist.atomic_increment(key);"
        }
        return """
            #include <uapi/linux/ptrace.h>
            #include <linux/sched.h>

            typedef struct pid_key {
                u32 id;
                u64 slot;
            } pid_key_t;

            BPF_HASH(start, u32);
            \(storage)

            static int trace_enqueue(u32 tgid, u32 pid)
            {
                if (\(filter) || pid == 0)
                    return 0;
                u64 ts = bpf_ktime_get_ns();
                start.update(&pid, &ts);
                return 0;
            }

            // task_active_pid_ns(task): pid->numbers[pid->level].ns, by its inode number.
            static __always_inline u32 pid_namespace(struct task_struct *task)
            {
                struct pid *pid = 0;
                unsigned int level = 0;
                struct upid upid = {};
                unsigned int inum = 0;
                bpf_probe_read_kernel(&pid, sizeof(pid), &task->thread_pid);
                bpf_probe_read_kernel(&level, sizeof(level), &pid->level);
                bpf_probe_read_kernel(&upid, sizeof(upid), &pid->numbers[level]);
                bpf_probe_read_kernel(&inum, sizeof(inum), &upid.ns->ns.inum);
                return inum;
            }

            static void task_ids(struct task_struct *task, u32 *tgid, u32 *pid)
            {
                bpf_probe_read_kernel(tgid, sizeof(*tgid), &task->tgid);
                bpf_probe_read_kernel(pid, sizeof(*pid), &task->pid);
            }

            RAW_TRACEPOINT_PROBE(sched_wakeup)
            {
                // TP_PROTO(struct task_struct *p)
                u32 tgid = 0, pid = 0;
                task_ids((struct task_struct *)ctx->args[0], &tgid, &pid);
                return trace_enqueue(tgid, pid);
            }

            RAW_TRACEPOINT_PROBE(sched_wakeup_new)
            {
                // TP_PROTO(struct task_struct *p)
                u32 tgid = 0, pid = 0;
                task_ids((struct task_struct *)ctx->args[0], &tgid, &pid);
                return trace_enqueue(tgid, pid);
            }

            RAW_TRACEPOINT_PROBE(sched_switch)
            {
                // TP_PROTO(bool preempt, struct task_struct *prev, struct task_struct *next, ...)
                struct task_struct *prev = (struct task_struct *)ctx->args[1];
                struct task_struct *next = (struct task_struct *)ctx->args[2];
                u32 tgid = 0, pid = 0;
                unsigned int state = 1;

                // A preempted task that is still runnable waits in the queue again.
                bpf_probe_read_kernel(&state, sizeof(state), &prev->__state);
                if (state == 0) {
                    task_ids(prev, &tgid, &pid);
                    if (!(\(filter) || pid == 0)) {
                        u64 ts = bpf_ktime_get_ns();
                        start.update(&pid, &ts);
                    }
                }

                task_ids(next, &tgid, &pid);
                if (\(filter) || pid == 0)
                    return 0;
                u64 *tsp = start.lookup(&pid);
                if (tsp == 0)
                    return 0;   // missed the enqueue
                u64 delta = bpf_ktime_get_ns() - *tsp;
                \(factor)
                \(store)
                start.delete(&pid);
                return 0;
            }

            """
    }
}
