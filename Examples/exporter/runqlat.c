// Run queue latency: how long runnable tasks wait for a CPU, as a log2
// histogram in microseconds (bcc's runqlat), from the scheduler's raw
// tracepoints.

BPF_HASH(start, u32, u64, 65536);
BPF_HISTOGRAM(run_queue_latency_seconds, int, 64);

static int enqueued(struct task_struct *task)
{
    u32 pid = 0;
    bpf_probe_read_kernel(&pid, sizeof(pid), &task->pid);
    if (pid == 0)
        return 0;   // the idle task
    u64 ts = bpf_ktime_get_ns();
    start.update(&pid, &ts);
    return 0;
}

RAW_TRACEPOINT_PROBE(sched_wakeup)
{
    // TP_PROTO(struct task_struct *p)
    return enqueued((struct task_struct *)ctx->args[0]);
}

RAW_TRACEPOINT_PROBE(sched_wakeup_new)
{
    // TP_PROTO(struct task_struct *p)
    return enqueued((struct task_struct *)ctx->args[0]);
}

RAW_TRACEPOINT_PROBE(sched_switch)
{
    // TP_PROTO(bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state)
    struct task_struct *prev = (struct task_struct *)ctx->args[1];
    struct task_struct *next = (struct task_struct *)ctx->args[2];
    unsigned int state = 1;
    bpf_probe_read_kernel(&state, sizeof(state), &prev->__state);
    if (state == 0)
        enqueued(prev);   // preempted while runnable: it waits again

    u32 pid = 0;
    bpf_probe_read_kernel(&pid, sizeof(pid), &next->pid);
    u64 *tsp = start.lookup(&pid);
    if (tsp == 0)
        return 0;
    u64 delta_us = (bpf_ktime_get_ns() - *tsp) / 1000;
    start.delete(&pid);
    int slot = bpf_log2l(delta_us);
    if (slot > 62)
        slot = 62;
    run_queue_latency_seconds.atomic_increment(slot);
    return 0;
}
