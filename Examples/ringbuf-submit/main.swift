// bcc's examples/ringbuf/ringbuf_submit.py in Swift: openat() calls written
// into reserved ring memory, submitted, and drained with ringBufferConsume().
// Run: swift run ringbuf-submit   (as root; Ctrl-C to stop)
import BCC
import BCCTools
import Glibc

let program = """
    BPF_RINGBUF_OUTPUT(buffer, 1 << 4);

    struct event {
        char filename[64];
        int dfd;
        int flags;
        int mode;
    };

    TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
        struct event *event = buffer.ringbuf_reserve(sizeof(struct event));
        if (!event) {
            return 1;
        }

        bpf_probe_read_user_str(event->filename, sizeof(event->filename), args->filename);

        event->dfd = args->dfd;
        event->flags = args->flags;
        event->mode = args->mode;

        buffer.ringbuf_submit(event, 0);
        // or, to drop the record: buffer.ringbuf_discard(event, 0);

        return 0;
    }
    """

do {
    let b = try BPF(text: program)
    defer { b.close() }
    let buffer = try b["buffer"]
    try buffer.openRingBuffer { data in
        let event = try buffer.event(data)
        StandardOutput.printLine("\(CText.left(event.filename?.string ?? "", 64)) \(CText.right("\(event.dfd?.int ?? 0)", 10)) "
            + "\(CText.right("\(event.flags?.int ?? 0)", 10)) \(CText.right("\(event.mode?.int ?? 0)", 10))")
    }
    StandardOutput.printLine("Printing openat() calls, ctrl-c to exit.")
    StandardOutput.printLine("\(CText.left("FILENAME", 64)) \(CText.right("DIR_FD", 10)) \(CText.right("FLAGS", 10)) \(CText.right("MODE", 10))")
    let stop = StopSignal()
    while !stop.isStopped {
        try b.ringBufferConsume()
        usleep(500_000)
    }
} catch {
    StandardOutput.writeToStandardError("\(error)\n")
    exit(1)
}
