// Files opened, by process, counted in user space from a ring buffer that is
// deliberately small (one page) and only wakes the exporter when it polls:
// a burst of opens overflows it, and the exporter reports the drops
// (bcc_exporter_ring_buffer_lost_records_total{table="open_events"}).

struct open_event_t {
    char comm[16];
};

BPF_RINGBUF_OUTPUT(open_events, 1);

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    struct open_event_t event = {};
    bpf_get_current_comm(&event.comm, sizeof(event.comm));
    // No wakeup per record: the exporter polls every 100 ms.
    open_events.ringbuf_output(&event, sizeof(event), BPF_RB_NO_WAKEUP);
    return 0;
}
