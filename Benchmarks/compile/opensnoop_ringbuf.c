// The program both front ends compile: bcc's examples/ringbuf style, a
// TRACEPOINT_PROBE on openat sending the filename through a ring buffer.
#include <uapi/linux/ptrace.h>
#include <linux/sched.h>

struct event_t {
    u32 pid;
    int flags;
    char comm[TASK_COMM_LEN];
    char filename[128];
};

BPF_RINGBUF_OUTPUT(events, 16);
BPF_HASH(counts, u32, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    counts.increment(pid);
    struct event_t *event = events.ringbuf_reserve(sizeof(struct event_t));
    if (!event)
        return 0;
    event->pid = pid;
    event->flags = args->flags;
    bpf_get_current_comm(&event->comm, sizeof(event->comm));
    bpf_probe_read_user_str(&event->filename, sizeof(event->filename), args->filename);
    events.ringbuf_submit(event, 0);
    return 0;
}
