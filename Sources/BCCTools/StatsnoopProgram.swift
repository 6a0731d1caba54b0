// statsnoop's BPF program: each stat-family call with its path and result,
// from the syscalls tracepoints of the calls this kernel has (bcc's statsnoop
// uses kprobes and kretprobes on the same calls).

/// The BPF side of statsnoop and its lines.
public enum StatsnoopProgram {
    /// The calls bcc traces, in its `enum sys_type` order (1 is stat).
    public static let syscalls = ["stat", "statx", "statfs", "newstat", "newlstat", "fstatat64", "newfstatat"]

    /// The program, with a probe pair for each of `available` (names from
    /// `syscalls` whose tracepoints exist); `filterPid` keeps the process in
    /// `pid_filter`, `failedOnly` failed calls.
    public static func source(available: [String], filterPid: Bool = false, failedOnly: Bool = false,
                              ringPages: Int = 256) -> String {
        let probes = syscalls.enumerated().filter { available.contains($0.element) }.map { index, name in
            // stat, statfs, newstat and newlstat take the path first; the *at calls second.
            let path = ["statfs"].contains(name) ? "args->pathname" : "args->filename"
            return """
                TRACEPOINT_PROBE(syscalls, sys_enter_\(name)) { return trace_entry(\(index + 1), \(path)); }
                TRACEPOINT_PROBE(syscalls, sys_exit_\(name)) { return trace_return(args->ret); }
                """
        }
        return """
            #include <uapi/linux/ptrace.h>
            #include <uapi/linux/limits.h>
            #include <linux/sched.h>

            struct val_t {
                const char *fname;
                u32 type;
            };

            struct statsnoop_event_t {
                u32 pid;
                u64 ts_ns;
                int ret;
                char comm[TASK_COMM_LEN];
                char fname[NAME_MAX];
                u32 type;
            };

            BPF_HASH(infotmp, u32, struct val_t);
            BPF_RINGBUF_OUTPUT(events, \(ringPages));
            \(filterPid ? TableFilters.value("pid_filter") : "")

            static int trace_entry(u32 type, const char *filename)
            {
                u64 pid_tgid = bpf_get_current_pid_tgid();
                u32 pid = pid_tgid >> 32;
                u32 tid = (u32)pid_tgid;
                \(filterPid ? "if (pid != pid_filter_value()) return 0;" : "")
                struct val_t val = {};
                val.fname = filename;
                val.type = type;
                infotmp.update(&tid, &val);
                return 0;
            }

            static int trace_return(long ret)
            {
                u64 pid_tgid = bpf_get_current_pid_tgid();
                u32 tid = (u32)pid_tgid;
                struct val_t *valp = infotmp.lookup(&tid);
                if (valp == 0)
                    return 0;   // missed the entry
                const char *fname = valp->fname;
                u32 type = valp->type;
                infotmp.delete(&tid);
                \(failedOnly ? "if (ret >= 0) return 0;" : "")
                struct statsnoop_event_t *data = events.ringbuf_reserve(sizeof(struct statsnoop_event_t));
                if (data == 0)
                    return 0;
                data->pid = pid_tgid >> 32;
                data->ts_ns = bpf_ktime_get_ns();
                data->ret = ret;
                data->type = type;
                bpf_get_current_comm(&data->comm, sizeof(data->comm));
                if (bpf_probe_read_user_str(&data->fname, sizeof(data->fname), fname) < 0)
                    data->fname[0] = 0;
                events.ringbuf_submit(data, 0);
                return 0;
            }

            \(probes.joined(separator: "\n"))

            """
    }

    /// The column header; `timestamps` adds TIME(s) (-t), `syscallNames` SYSCALL (-s).
    public static func header(timestamps: Bool, syscallNames: Bool) -> String {
        (timestamps ? CText.left("TIME(s)", 14) : "")
            + "\(CText.left("PID", 7)) \(CText.left("COMM", 16)) \(CText.right("FD", 4)) \(CText.right("ERR", 3))"
            + (syscallNames ? " " + CText.left("SYSCALL", 12) : "") + " PATH"
    }

    /// The line for `event`; `start` is the first event's time (for -t).
    public static func line(for event: statsnoop_event_t, start: UInt64, timestamps: Bool, syscallNames: Bool) -> String {
        let fd = event.ret >= 0 ? event.ret : -1
        let err = event.ret >= 0 ? 0 : -event.ret
        var text = timestamps ? CText.left(CText.fixed(Double(event.ts_ns &- start) / 1e9, 9), 14) : ""
        text += "\(CText.left(String(event.pid), 7)) \(CText.left(event.commString, 16)) \(CText.right(String(fd), 4)) "
            + CText.right(String(err), 3)
        if syscallNames {
            let index = Int(event.type)
            text += " " + CText.left(index >= 1 && index <= syscalls.count ? syscalls[index - 1] : "N/A", 12)
        }
        return text + " " + event.fnameString
    }
}
