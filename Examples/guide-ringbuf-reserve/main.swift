// The reference guide's BPF_RINGBUF_OUTPUT example, second API:
// events.ringbuf_reserve() hands out ring memory that ringbuf_submit() publishes.
// The guide attaches it as a kprobe; without kprobes (CONFIG_KPROBES off here) the
// same function runs from the exec tracepoint instead.
// Run: swift run guide-ringbuf-reserve   (as root; Ctrl-C to stop)
import BCC
import BCCTools
import Glibc

let program = """
    struct data_t {
        u32 pid;
        u64 ts;
        char comm[TASK_COMM_LEN];
    };

    // Creates a ringbuf called events with 8 pages of space, shared across all CPUs
    BPF_RINGBUF_OUTPUT(events, 8);

    static int second_api_example(struct pt_regs *ctx) {
        struct data_t *data = events.ringbuf_reserve(sizeof(struct data_t));
        if (!data) { // Failed to reserve space
            return 1;
        }

        data->pid = bpf_get_current_pid_tgid();
        data->ts = bpf_ktime_get_ns();
        bpf_get_current_comm(&data->comm, sizeof(data->comm));

        events.ringbuf_submit(data, 0 /* flags */);

        return 0;
    }

    TRACEPOINT_PROBE(sched, sched_process_exec) {
        return second_api_example((struct pt_regs *)args);
    }
    """

do {
    let b = try BPF(text: program)
    defer { b.close() }
    let events = try b["events"]
    StandardOutput.printLine("Tracing exec()s with ringbuf_reserve/ringbuf_submit... Hit Ctrl-C to end.")
    StandardOutput.printLine("\(CText.left("PID", 7)) \(CText.left("COMM", 16)) TS")
    try events.openRingBuffer { data in
        let event = try events.event(data)
        StandardOutput.printLine("\(CText.left("\(event.pid?.uint ?? 0)", 7)) \(CText.left(event.comm?.string ?? "", 16)) \(event.ts?.uint ?? 0)")
    }
    let stop = StopSignal()
    while !stop.isStopped {
        try b.ringBufferPoll(timeout: stop.pollTimeout())
    }
} catch {
    StandardOutput.writeToStandardError("\(error)\n")
    exit(1)
}
