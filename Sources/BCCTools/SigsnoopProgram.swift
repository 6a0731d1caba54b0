// sigsnoop's BPF program (libbpf-tools' sigsnoop; bcc has no Python one):
// every signal generated, from the signal:signal_generate tracepoint, which
// names the target task; or with -k the kill, tkill and tgkill system calls
// from their syscalls tracepoints.

/// The BPF side of sigsnoop and its lines.
public enum SigsnoopProgram {
    /// The program; `killOnly` traces the kill system calls instead of
    /// signal_generate, `filterPid` keeps senders in `pid_filter`,
    /// `filterSignals` the signals in `signal_mask` (bit N-1 for signal N),
    /// `failedOnly` failed signals.
    public static func source(killOnly: Bool = false, filterPid: Bool = false, filterSignals: Bool = false,
                              failedOnly: Bool = false, ringPages: Int = 64) -> String {
        var tables: [String] = []
        var checks: [String] = []
        if filterSignals {
            checks.append("if (sig < 1 || sig > 64 || !((signal_mask_value() >> (sig - 1)) & 1)) return 0;")
            tables.append(TableFilters.value("signal_mask"))
        }
        if filterPid {
            checks.append("if (pid != pid_filter_value()) return 0;")
            tables.append(TableFilters.value("pid_filter"))
        }
        let failed = failedOnly ? "if (ret == 0) return 0;" : ""
        let probes = killOnly ? """
            BPF_HASH(values, u32, struct sigsnoop_event_t, 10240);

            static int probe_entry(int tpid, int sig)
            {
                u64 pid_tgid = bpf_get_current_pid_tgid();
                u32 pid = pid_tgid >> 32;
                u32 tid = (u32)pid_tgid;
                \(checks.joined(separator: "\n    "))
                struct sigsnoop_event_t event = {};
                event.pid = pid;
                event.tpid = tpid;
                event.sig = sig;
                // The target's name would take the bpf_task_from_pid kfunc, as in libbpf-tools.
                event.tcomm[0] = 'N'; event.tcomm[1] = '/'; event.tcomm[2] = 'A';
                bpf_get_current_comm(&event.comm, sizeof(event.comm));
                values.update(&tid, &event);
                return 0;
            }

            static int probe_exit(int ret)
            {
                u32 tid = (u32)bpf_get_current_pid_tgid();
                struct sigsnoop_event_t *eventp = values.lookup(&tid);
                if (eventp == 0)
                    return 0;   // missed the entry
                \(failedOnly ? "if (ret < 0) {" : "{")
                    eventp->ret = ret;
                    events.ringbuf_output(eventp, sizeof(*eventp), 0);
                }
                values.delete(&tid);
                return 0;
            }

            TRACEPOINT_PROBE(syscalls, sys_enter_kill) { return probe_entry(args->pid, args->sig); }
            TRACEPOINT_PROBE(syscalls, sys_exit_kill) { return probe_exit(args->ret); }
            TRACEPOINT_PROBE(syscalls, sys_enter_tkill) { return probe_entry(args->pid, args->sig); }
            TRACEPOINT_PROBE(syscalls, sys_exit_tkill) { return probe_exit(args->ret); }
            TRACEPOINT_PROBE(syscalls, sys_enter_tgkill) { return probe_entry(args->pid, args->sig); }
            TRACEPOINT_PROBE(syscalls, sys_exit_tgkill) { return probe_exit(args->ret); }
            """ : """
            TRACEPOINT_PROBE(signal, signal_generate)
            {
                int ret = args->errno;
                int sig = args->sig;
                \(failed)
                u32 pid = bpf_get_current_pid_tgid() >> 32;
                \(checks.joined(separator: "\n    "))
                struct sigsnoop_event_t event = {};
                event.pid = pid;
                event.tpid = args->pid;
                event.sig = sig;
                event.ret = ret;
                __builtin_memcpy(&event.tcomm, args->comm, sizeof(event.tcomm));
                bpf_get_current_comm(&event.comm, sizeof(event.comm));
                events.ringbuf_output(&event, sizeof(event), 0);
                return 0;
            }
            """
        return """
            #include <linux/sched.h>

            struct sigsnoop_event_t {
                u32 pid;
                u32 tpid;
                int sig;
                int ret;
                char comm[TASK_COMM_LEN];
                char tcomm[TASK_COMM_LEN];
            };

            BPF_RINGBUF_OUTPUT(events, \(ringPages));
            \(tables.joined(separator: "\n"))

            \(probes)

            """
    }

    /// The column header.
    public static let header = "\(CText.left("TIME", 8)) \(CText.left("PID", 7)) \(CText.left("COMM", 16)) "
        + "\(CText.left("SIG", 12)) \(CText.left("TPID", 7)) \(CText.left("TCOMM", 16)) \(CText.left("RESULT", 6))"

    /// The line for `event` at `time` (HH:MM:SS); `names` prints signal names (-n).
    public static func line(for event: sigsnoop_event_t, time: String, names: Bool) -> String {
        let signal = names ? SignalNames.sigsnoopName(of: Int(event.sig)) ?? String(event.sig) : String(event.sig)
        return "\(CText.left(time, 8)) \(CText.left(String(event.pid), 7)) \(CText.left(event.commString, 16)) "
            + "\(CText.left(signal, 12)) \(CText.left(String(event.tpid), 7)) \(CText.left(event.tcommString, 16)) "
            + CText.left(String(event.ret), 6)
    }
}
