// runqslower's BPF program: one record per run queue wait longer than a
// threshold, from the sched_wakeup, sched_wakeup_new and sched_switch raw
// tracepoints, as bcc's runqslower does where raw tracepoints exist.

/// The BPF side of runqslower.
public enum RunqslowerProgram {
    /// The program: waits of at most `min_us` (a table the tool fills) are
    /// skipped (0 keeps all), `filterPid` keeps the process in `pid_filter`,
    /// `filterTid` the thread in `tid_filter`; `ringPages` sizes the ring.
    public static func source(filterPid: Bool = false, filterTid: Bool = false, ringPages: Int = 64) -> String {
        let pidFilter = filterTid ? "pid != tid_filter_value()" : "0"
        let tgidFilter = filterPid ? "tgid != pid_filter_value()" : "0"
        let tables = TableFilters.value("min_us") + (filterPid ? "\n" + TableFilters.value("pid_filter") : "")
            + (filterTid ? "\n" + TableFilters.value("tid_filter") : "")
        return """
            #include <uapi/linux/ptrace.h>
            #include <linux/sched.h>

            // Enqueue times by thread id (bcc sizes an array by pid_max; a hash keeps it small).
            BPF_HASH(start, u32, u64, 10240);

            struct runqslower_event_t {
                u32 pid;
                u32 prev_pid;
                char task[TASK_COMM_LEN];
                char prev_task[TASK_COMM_LEN];
                u64 delta_us;
            };

            BPF_RINGBUF_OUTPUT(events, \(ringPages));
            \(tables)

            static int trace_enqueue(u32 tgid, u32 pid)
            {
                if (\(pidFilter) || \(tgidFilter) || pid == 0)
                    return 0;
                u64 ts = bpf_ktime_get_ns();
                start.update(&pid, &ts);
                return 0;
            }

            RAW_TRACEPOINT_PROBE(sched_wakeup)
            {
                // TP_PROTO(struct task_struct *p)
                struct task_struct *p = (struct task_struct *)ctx->args[0];
                return trace_enqueue(p->tgid, p->pid);
            }

            RAW_TRACEPOINT_PROBE(sched_wakeup_new)
            {
                // TP_PROTO(struct task_struct *p)
                struct task_struct *p = (struct task_struct *)ctx->args[0];
                return trace_enqueue(p->tgid, p->pid);
            }

            RAW_TRACEPOINT_PROBE(sched_switch)
            {
                // TP_PROTO(bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state)
                struct task_struct *prev = (struct task_struct *)ctx->args[1];
                struct task_struct *next = (struct task_struct *)ctx->args[2];
                u32 prev_pid = prev->pid;

                // Preempted while runnable: it waits in the queue from now.
                if (prev->__state == TASK_RUNNING)
                    trace_enqueue(prev->tgid, prev_pid);

                u32 pid = next->pid;
                u64 *tsp = start.lookup(&pid);
                if (tsp == 0)
                    return 0;   // missed the enqueue
                u64 delta_us = (bpf_ktime_get_ns() - *tsp) / 1000;
                start.delete(&pid);
                u64 min_us = min_us_value();
                if (min_us != 0 && delta_us <= min_us)
                    return 0;

                struct runqslower_event_t event = {};
                event.pid = pid;
                event.prev_pid = prev_pid;
                event.delta_us = delta_us;
                bpf_probe_read_kernel_str(&event.task, sizeof(event.task), next->comm);
                bpf_probe_read_kernel_str(&event.prev_task, sizeof(event.prev_task), prev->comm);
                events.ringbuf_output(&event, sizeof(event), 0);
                return 0;
            }

            """
    }

    /// The column header; `previous` adds the previous task's columns (-P).
    public static func header(previous: Bool) -> String {
        var text = "\(CText.left("TIME", 8)) \(CText.left("COMM", 16)) \(CText.left("TID", 6)) \(CText.right("LAT(us)", 14))"
        if previous { text += " \(CText.left("PREV COMM", 16)) \(CText.left("PREV TID", 6))" }
        return text
    }

    /// The line for `event` at wall-clock `time` (HH:MM:SS).
    public static func line(for event: runqslower_event_t, time: String, previous: Bool) -> String {
        var text = "\(CText.left(time, 8)) \(CText.left(event.taskString, 16)) \(CText.left(String(event.pid), 6)) "
            + CText.right(String(event.delta_us), 14)
        if previous { text += " \(CText.left(event.prev_taskString, 16)) \(CText.left(String(event.prev_pid), 6))" }
        return text
    }
}
