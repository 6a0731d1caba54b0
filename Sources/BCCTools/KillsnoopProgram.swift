// killsnoop's BPF program: each kill() with its sender, signal, target and
// result, from the syscalls:sys_enter_kill and sys_exit_kill tracepoints
// (bcc's killsnoop uses a kprobe and kretprobe on the kill syscall).
import BCC
import BPFObject

/// The BPF side of killsnoop and its lines.
public enum KillsnoopProgram {
    /// The program; `filterPid` keeps senders in `pid_filter`, `filterTargetPid`
    /// targets in `tpid_filter`, `filterSignals` the signals in the mask
    /// `signal_mask` (bit N-1 for signal N), `failedOnly` failed calls.
    public static func source(filterPid: Bool = false, filterTargetPid: Bool = false, filterSignals: Bool = false,
                              failedOnly: Bool = false, ringPages: Int = 64) -> String {
        var checks: [String] = []
        var tables: [String] = []
        if filterTargetPid {
            checks.append("if (tpid != (int)tpid_filter_value()) return 0;")
            tables.append(TableFilters.value("tpid_filter"))
        }
        if filterPid {
            checks.append("if (pid != pid_filter_value()) return 0;")
            tables.append(TableFilters.value("pid_filter"))
        }
        if filterSignals {
            checks.append("if (sig < 1 || sig > 64 || !((signal_mask_value() >> (sig - 1)) & 1)) return 0;")
            tables.append(TableFilters.value("signal_mask"))
        }
        return """
            #include <uapi/linux/ptrace.h>
            #include <linux/sched.h>

            struct val_t {
                u32 pid;
                int sig;
                int tpid;
                char comm[TASK_COMM_LEN];
            };

            struct killsnoop_event_t {
                u32 pid;
                int tpid;
                int sig;
                int ret;
                char comm[TASK_COMM_LEN];
            };

            BPF_HASH(infotmp, u32, struct val_t);
            BPF_RINGBUF_OUTPUT(events, \(ringPages));
            \(tables.joined(separator: "\n"))

            TRACEPOINT_PROBE(syscalls, sys_enter_kill)
            {
                u64 pid_tgid = bpf_get_current_pid_tgid();
                u32 pid = pid_tgid >> 32;
                u32 tid = (u32)pid_tgid;
                int tpid = args->pid;
                int sig = args->sig;
                \(checks.joined(separator: "\n    "))
                struct val_t val = {.pid = pid};
                if (bpf_get_current_comm(&val.comm, sizeof(val.comm)) == 0) {
                    val.tpid = tpid;
                    val.sig = sig;
                    infotmp.update(&tid, &val);
                }
                return 0;
            }

            TRACEPOINT_PROBE(syscalls, sys_exit_kill)
            {
                u64 pid_tgid = bpf_get_current_pid_tgid();
                u32 tid = (u32)pid_tgid;
                struct val_t *valp = infotmp.lookup(&tid);
                if (valp == 0)
                    return 0;   // missed the entry
                struct killsnoop_event_t data = {};
                __builtin_memcpy(&data.comm, valp->comm, sizeof(data.comm));
                data.pid = pid_tgid >> 32;
                data.tpid = valp->tpid;
                data.ret = args->ret;
                data.sig = valp->sig;
                infotmp.delete(&tid);
                \(failedOnly ? "if (data.ret >= 0) return 0;" : "")
                events.ringbuf_output(&data, sizeof(data), 0);
                return 0;
            }

            """
    }

    /// The PID columns' width: the digits of pid_max plus one, as bcc reads /proc/sys/kernel/pid_max.
    public static func pidWidth(pidMax: String?) -> Int {
        guard let text = pidMax?.trimmingWhitespace(), !text.isEmpty else { return 6 }
        return text.count + 1
    }

    /// The column header.
    public static func header(pidWidth: Int) -> String {
        "\(CText.left("TIME", 9)) \(CText.left("PID", pidWidth)) \(CText.left("COMM", 16)) \(CText.left("SIG", 4)) "
            + "\(CText.left("TPID", pidWidth)) RESULT"
    }

    /// The line for `event` at `time` (HH:MM:SS).
    public static func line(for event: killsnoop_event_t, time: String, pidWidth: Int) -> String {
        "\(CText.left(time, 9)) \(CText.left(String(event.pid), pidWidth)) \(CText.left(event.commString, 16)) "
            + "\(CText.left(String(event.sig), 4)) \(CText.left(String(event.tpid), pidWidth)) \(event.ret)"
    }
}
