// bashreadline's BPF program: each line bash reads interactively, from a
// uretprobe on readline() (in bash itself, or in libreadline for a bash
// linked against it), as bcc's bashreadline.
import BCC

/// The BPF side of bashreadline and its output.
public enum BashreadlineProgram {
    /// Where bash's readline() lives: bash itself, unless `shared` names a libreadline.
    public static func binary(shared: String?) throws(BCCError) -> String {
        if let shared { return shared }
        return try BPF.findBinary("bash")
    }

    /// The program: `printret` returns readline()'s line when the task is bash.
    public static func source(ringPages: Int = 16) -> String {
        """
        #include <uapi/linux/ptrace.h>
        #include <linux/sched.h>

        struct bashreadline_event_t {
            u32 pid;
            char str[80];
        };

        BPF_RINGBUF_OUTPUT(events, \(ringPages));

        int printret(struct pt_regs *ctx)
        {
            if (!PT_REGS_RC(ctx))
                return 0;
            char comm[TASK_COMM_LEN] = {};
            bpf_get_current_comm(&comm, sizeof(comm));
            if (comm[0] != 'b' || comm[1] != 'a' || comm[2] != 's' || comm[3] != 'h' || comm[4] != 0)
                return 0;
            struct bashreadline_event_t event = {};
            event.pid = bpf_get_current_pid_tgid() >> 32;
            bpf_probe_read_user_str(&event.str, sizeof(event.str), (void *)PT_REGS_RC(ctx));
            events.ringbuf_output(&event, sizeof(event), 0);
            return 0;
        }

        """
    }

    /// The column header.
    public static let header = "\(CText.left("TIME", 9)) \(CText.left("PID", 7)) COMMAND"

    /// The line for `event` at wall-clock `clock` (HH:MM:SS).
    public static func line(for event: bashreadline_event_t, clock: String) -> String {
        "\(CText.left(clock, 9)) \(CText.left(String(event.pid), 7)) \(event.strString)"
    }
}
