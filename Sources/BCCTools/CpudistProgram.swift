// cpudist's BPF program: how long tasks run on a CPU before they are
// switched out (or, with -O, how long they stay off it), as a log2
// histogram. bcc's cpudist uses a kprobe on finish_task_switch; this one
// uses the sched_switch raw tracepoint, which names both tasks.

/// The BPF side of cpudist.
public enum CpudistProgram {
    /// How times are grouped.
    public enum Grouping: Sendable {
        /// One histogram.
        case none
        /// One per process (-P).
        case process
        /// One per thread (-L).
        case thread
    }

    /// The program: `offCPU` measures time off the CPU (-O), `milliseconds`
    /// stores msecs, `filterPid` keeps the process the tool writes into
    /// `pid_filter`, `includeIdle` counts the idle tasks (-I), `summary` also
    /// sums total and count (-e).
    public static func source(offCPU: Bool = false, milliseconds: Bool = false, filterPid: Bool = false,
                              grouping: Grouping = .none, includeIdle: Bool = false, summary: Bool = false) -> String {
        var storage: String
        var store: String
        switch grouping {
        case .none:
            storage = "BPF_HISTOGRAM(dist);"
            store = "dist.atomic_increment(bpf_log2l(delta));"
        case .process, .thread:
            // libbpf-tools' 10240 entries: bcc sizes these maps by pid_max, which preallocates
            // hundreds of megabytes where pid_max is 4194304.
            storage = "BPF_HISTOGRAM(dist, pid_key_t, 10240);"
            store = "pid_key_t key = {.id = \(grouping == .process ? "tgid" : "pid"), .slot = bpf_log2l(delta)}; dist.atomic_increment(key);"
        }
        if summary {
            storage += "\nBPF_ARRAY(extension, ext_val_t, 1);"
            store += """

                    u32 index = 0;
                    ext_val_t *ext_val = extension.lookup(&index);
                    if (ext_val) {
                        lock_xadd(&ext_val->total, delta);
                        lock_xadd(&ext_val->count, 1);
                    }
                """
        }
        if filterPid { storage += "\n" + TableFilters.value("pid_filter") }
        let pidFilter = filterPid ? "tgid != pid_filter_value()" : "0"
        let idleFilter = includeIdle ? "0" : "pid == 0"
        let (leaving, entering) = offCPU ? ("store_start", "update_hist") : ("update_hist", "store_start")
        return """
            #include <uapi/linux/ptrace.h>
            #include <linux/sched.h>

            typedef struct entry_key {
                u32 pid;
                u32 cpu;
            } entry_key_t;

            typedef struct pid_key {
                u64 id;
                u64 slot;
            } pid_key_t;

            typedef struct ext_val {
                u64 total;
                u64 count;
            } ext_val_t;

            BPF_HASH(start, entry_key_t, u64, 10240);
            \(storage)

            static inline void store_start(u32 tgid, u32 pid, u32 cpu, u64 ts)
            {
                if (\(pidFilter))
                    return;
                if (\(idleFilter))
                    return;
                // Each CPU has an idle task with pid 0: keep them apart.
                entry_key_t entry_key = { .pid = pid, .cpu = (pid == 0 ? cpu : 0xFFFFFFFF) };
                start.update(&entry_key, &ts);
            }

            static inline void update_hist(u32 tgid, u32 pid, u32 cpu, u64 ts)
            {
                if (\(pidFilter))
                    return;
                if (\(idleFilter))
                    return;
                entry_key_t entry_key = { .pid = pid, .cpu = (pid == 0 ? cpu : 0xFFFFFFFF) };
                u64 *tsp = start.lookup(&entry_key);
                if (tsp == 0)
                    return;
                if (ts < *tsp)
                    return;   // a clock going backwards between CPUs
                u64 delta = ts - *tsp;
                \(milliseconds ? "delta /= 1000000;" : "delta /= 1000;")
                \(store)
            }

            RAW_TRACEPOINT_PROBE(sched_switch)
            {
                // TP_PROTO(bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state)
                struct task_struct *prev = (struct task_struct *)ctx->args[1];
                struct task_struct *next = (struct task_struct *)ctx->args[2];
                u64 ts = bpf_ktime_get_ns();
                u32 cpu = bpf_get_smp_processor_id();
                // The task leaving the CPU, then the one arriving.
                \(leaving)(prev->tgid, prev->pid, cpu, ts);
                \(entering)(next->tgid, next->pid, cpu, ts);
                return 0;
            }

            """
    }
}
