// The reference guide's BPF_RINGBUF_OUTPUT example, first API:
// events.ringbuf_output() copies a stack struct into the ring.
// The guide attaches it as a kprobe; without kprobes (CONFIG_KPROBES off here) the
// same function runs from the exec tracepoint instead.
// Run: swift run guide-ringbuf-output   (as root; Ctrl-C to stop)
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

    static int first_api_example(struct pt_regs *ctx) {
        struct data_t data = {};

        data.pid = bpf_get_current_pid_tgid();
        data.ts = bpf_ktime_get_ns();
        bpf_get_current_comm(&data.comm, sizeof(data.comm));

        events.ringbuf_output(&data, sizeof(data), 0 /* flags */);

        return 0;
    }

    TRACEPOINT_PROBE(sched, sched_process_exec) {
        return first_api_example((struct pt_regs *)args);
    }
    """

do {
    let b = try BPF(text: program)
    defer { b.close() }
    let events = try b["events"]
    StandardOutput.printLine("Tracing exec()s with ringbuf_output... Hit Ctrl-C to end.")
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
