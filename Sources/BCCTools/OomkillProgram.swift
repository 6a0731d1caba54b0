// oomkill's BPF program: each OOM kill, from the oom:mark_victim tracepoint
// (bcc's oomkill uses a kprobe on oom_kill_process): the task that ran out
// of memory (the current one), the victim and its size, and the user stack
// of the triggering task.

/// The BPF side of oomkill and its lines.
public enum OomkillProgram {
    /// The program.
    public static func source(ringPages: Int = 16) -> String {
        """
        #include <uapi/linux/ptrace.h>
        #include <linux/oom.h>

        struct oomkill_event_t {
            u32 fpid;
            u32 tpid;
            u64 total_vm_kb;    // the victim's virtual memory (mark_victim has no oom_control totalpages)
            s64 stack_id;
            char fcomm[TASK_COMM_LEN];
            char tcomm[TASK_COMM_LEN];
        };

        BPF_RINGBUF_OUTPUT(events, \(ringPages));
        BPF_STACK_TRACE(stack_traces, 1024);

        TRACEPOINT_PROBE(oom, mark_victim)
        {
            struct oomkill_event_t data = {};
            data.fpid = bpf_get_current_pid_tgid() >> 32;
            data.tpid = args->pid;
            data.total_vm_kb = args->total_vm;
            bpf_get_current_comm(&data.fcomm, sizeof(data.fcomm));
            TP_DATA_LOC_READ_STR(&data.tcomm, comm, sizeof(data.tcomm));
            data.stack_id = stack_traces.get_stackid(args, BPF_F_USER_STACK);
            events.ringbuf_output(&data, sizeof(data), 0);
            return 0;
        }

        """
    }

    /// bcc's line: `HH:MM:SS Triggered by PID F ("fcomm"), OOM kill of PID T ("tcomm"), N pages, loadavg: ...`,
    /// where N is the victim's total_vm in pages of `pageSize` bytes.
    public static func line(for event: oomkill_event_t, time: String, pageSize: Int, loadavg: String) -> String {
        let pages = event.total_vm_kb * 1024 / UInt64(max(1, pageSize))
        return "\(time) Triggered by PID \(event.fpid) (\"\(event.fcommString)\"), OOM kill of PID \(event.tpid) "
            + "(\"\(event.tcommString)\"), \(pages) pages, loadavg: \(loadavg)"
    }
}
