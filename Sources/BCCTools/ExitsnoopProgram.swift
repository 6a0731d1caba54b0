// exitsnoop's BPF program: each process (or with --per-thread each thread)
// that ends, with its age and exit code or signal, from the
// sched:sched_process_exit tracepoint, as bcc's tools/exitsnoop.py.

/// The BPF side of exitsnoop and its lines.
public enum ExitsnoopProgram {
    /// The program; `filterPid` keeps the process in `pid_filter`,
    /// `perThread` reports every thread (not only the main one), `failedOnly`
    /// leaves out exit(0).
    public static func source(filterPid: Bool = false, perThread: Bool = false, failedOnly: Bool = false,
                              ringPages: Int = 64) -> String {
        let pidFilter: String
        if filterPid {
            pidFilter = perThread ? "task->tgid != pid_filter_value()"
                : "!(task->tgid == pid_filter_value() && task->pid == task->tgid)"
        } else {
            pidFilter = perThread ? "0" : "task->pid != task->tgid"
        }
        return """
            #include <linux/sched.h>

            struct exitsnoop_event_t {
                u64 start_time;
                u64 exit_time;
                u32 pid;
                u32 tid;
                u32 ppid;
                int exit_code;
                u32 sig_info;
                char task[TASK_COMM_LEN];
            };

            BPF_RINGBUF_OUTPUT(events, \(ringPages));
            \(filterPid ? TableFilters.value("pid_filter") : "")

            TRACEPOINT_PROBE(sched, sched_process_exit)
            {
                struct task_struct *task = (typeof(task))bpf_get_current_task();
                if (\(pidFilter) || \(failedOnly ? "task->exit_code == 0" : "0"))
                    return 0;

                struct exitsnoop_event_t data = {};
                data.start_time = task->start_time;
                data.exit_time = bpf_ktime_get_ns();
                data.pid = task->tgid;
                data.tid = task->pid;
                data.ppid = task->real_parent->tgid;
                data.exit_code = task->exit_code >> 8;
                data.sig_info = task->exit_code & 0xFF;
                bpf_get_current_comm(&data.task, sizeof(data.task));
                events.ringbuf_output(&data, sizeof(data), 0);
                return 0;
            }

            """
    }

    /// The column header; `timeTitle` ("TIME-UTC", "TIME-CET") with -t, `label` with --label.
    public static func header(timeTitle: String?, label: Bool) -> String {
        (timeTitle.map { CText.left($0, 13) } ?? "") + (label ? CText.left("LABEL", 6) : "")
            + "\(CText.left("PCOMM", 16)) \(CText.left("PID", 7)) \(CText.left("PPID", 7)) \(CText.left("TID", 7)) "
            + "\(CText.left("AGE(s)", 7)) \(CText.left("EXIT_CODE", 10))"
    }

    /// The line for `event`; `time` is `HH:MM:SS.mmm` with -t, `label` the --label text.
    public static func line(for event: exitsnoop_event_t, time: String?, label: String?) -> String {
        let age = Double(event.exit_time &- event.start_time) / 1e9
        var text = (time.map { CText.left($0, 13) } ?? "") + (label.map { CText.left($0, 6) } ?? "")
        text += "\(CText.left(event.taskString, 16)) \(CText.left(String(event.pid), 7)) \(CText.left(String(event.ppid), 7)) "
            + "\(CText.left(String(event.tid), 7)) \(CText.left(CText.fixed(age, 2), 7)) "
        return text + status(exitCode: event.exit_code, signalInfo: event.sig_info)
    }

    /// "0", "code N", or "signal N (NAME)" with ", core dumped " when it dumped core.
    public static func status(exitCode: Int32, signalInfo: UInt32) -> String {
        if signalInfo == 0 { return exitCode == 0 ? "0" : "code \(exitCode)" }
        var text = ""
        let signal = Int(signalInfo & 0x7f)
        if signal != 0 { text = "signal \(signal) (\(SignalNames.shortName(of: signal) ?? "unknown"))" }
        if signalInfo & 0x80 != 0 { text += ", core dumped " }
        return text
    }

    /// -t's time, `HH:MM:SS.mmm`, in local time or UTC.
    public static func timestamp(utc: Bool) -> String {
        ToolClock.wallClock(utc: utc, milliseconds: true)
    }

    /// -t's column title: "TIME-UTC" or "TIME-" and the local zone's abbreviation.
    public static func timeTitle(utc: Bool) -> String {
        "TIME-" + (utc ? "UTC" : ToolClock.zoneAbbreviation)
    }
}
