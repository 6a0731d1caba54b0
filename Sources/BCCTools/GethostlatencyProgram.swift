// gethostlatency's BPF program: the latency of each host name lookup
// (getaddrinfo, gethostbyname, gethostbyname2 in libc), from a uprobe at the
// call and a uretprobe at its return, as bcc's gethostlatency.

/// The BPF side of gethostlatency and its output.
public enum GethostlatencyProgram {
    /// The libc functions traced.
    public static let functions = ["getaddrinfo", "gethostbyname", "gethostbyname2"]

    /// The program: `do_entry` notes the host name and time by thread, `do_return` reports.
    public static func source(ringPages: Int = 16) -> String {
        """
        #include <uapi/linux/ptrace.h>
        #include <linux/sched.h>

        struct gethostlatency_start_t {
            u64 ts;
            u32 pid;
            char comm[TASK_COMM_LEN];
            char host[80];
        };

        struct gethostlatency_event_t {
            u64 delta;
            u32 pid;
            char comm[TASK_COMM_LEN];
            char host[80];
        };

        BPF_HASH(start, u32, struct gethostlatency_start_t, 10240);
        BPF_RINGBUF_OUTPUT(events, \(ringPages));

        int do_entry(struct pt_regs *ctx)
        {
            if (!PT_REGS_PARM1(ctx))
                return 0;
            u64 id = bpf_get_current_pid_tgid();
            u32 tid = id;
            struct gethostlatency_start_t call = {};
            call.pid = id >> 32;
            bpf_get_current_comm(&call.comm, sizeof(call.comm));
            bpf_probe_read_user_str(&call.host, sizeof(call.host), (void *)PT_REGS_PARM1(ctx));
            call.ts = bpf_ktime_get_ns();
            start.update(&tid, &call);
            return 0;
        }

        int do_return(struct pt_regs *ctx)
        {
            u64 now = bpf_ktime_get_ns();
            u32 tid = bpf_get_current_pid_tgid();
            struct gethostlatency_start_t *call = start.lookup(&tid);
            if (call == 0)
                return 0;   // missed the call
            struct gethostlatency_event_t event = {};
            event.delta = now - call->ts;
            event.pid = call->pid;
            __builtin_memcpy(event.comm, call->comm, sizeof(event.comm));
            __builtin_memcpy(event.host, call->host, sizeof(event.host));
            start.delete(&tid);
            events.ringbuf_output(&event, sizeof(event), 0);
            return 0;
        }

        """
    }

    /// The column header.
    public static let header = "\(CText.left("TIME", 9)) \(CText.left("PID", 7)) \(CText.left("COMM", 16)) \(CText.right("LATms", 10)) HOST"

    /// The line for `event` at wall-clock `clock` (HH:MM:SS).
    public static func line(for event: gethostlatency_event_t, clock: String) -> String {
        "\(CText.left(clock, 9)) \(CText.left(String(event.pid), 7)) \(CText.left(event.commString, 16)) "
            + "\(CText.right(CText.fixed(Double(event.delta) / 1_000_000, 2), 10)) \(event.hostString)"
    }
}
