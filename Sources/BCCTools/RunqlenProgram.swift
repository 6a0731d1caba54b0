// runqlen's BPF program: the length of the CPU's CFS run queue, sampled by
// a perf event on every CPU, as bcc's runqlen samples it (99 Hz cpu-clock).

/// The BPF side of runqlen.
public enum RunqlenProgram {
    /// The program: `perCPU` keys the histogram by CPU too (-C);
    /// `queuedField` is `struct cfs_rq`'s count of queued entities
    /// ("nr_queued" since Linux 6.14, "nr_running" before).
    public static func source(perCPU: Bool = false, queuedField: String = "nr_queued") -> String {
        let storage = perCPU ? "BPF_HISTOGRAM(dist, cpu_key_t, 1024);" : "BPF_HISTOGRAM(dist, unsigned int);"
        let store = perCPU
            ? "cpu_key_t key = {.slot = len}; key.cpu = bpf_get_smp_processor_id(); dist.atomic_increment(key);"
            : "dist.atomic_increment(len);"
        return """
            #include <uapi/linux/ptrace.h>
            #include <linux/sched.h>

            typedef struct cpu_key {
                int cpu;
                unsigned int slot;
            } cpu_key_t;
            \(storage)

            int do_perf_event(struct bpf_perf_event_data *ctx)
            {
                // The current task's CFS run queue is its CPU's (task->se.cfs_rq).
                struct task_struct *task = (struct task_struct *)bpf_get_current_task();
                struct cfs_rq *cfs = task->se.cfs_rq;
                unsigned int len = cfs->\(queuedField);
                // Without the task running now: 0 is idle, 1 one task waiting.
                if (len > 0)
                    len--;
                \(store)
                return 0;
            }

            """
    }

    /// -O's run queue occupancy: the percentage of samples that found a
    /// task waiting, from (length, count) pairs.
    public static func occupancy<Samples: Sequence<(length: UInt32, count: UInt64)>>(_ samples: Samples) -> Double {
        var idle: UInt64 = 0
        var queued: UInt64 = 0
        for sample in samples {
            if sample.length == 0 { idle += sample.count } else { queued += sample.count }
        }
        let total = idle + queued
        return total == 0 ? 0 : 100 * Double(queued) / Double(total)
    }
}
