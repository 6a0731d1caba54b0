// Block I/O latency, from issue to completion, as a log2 histogram in
// microseconds by disk and operation (bcc's biolatency -D with -F's
// operation), from the block_rq_issue and block_rq_complete raw tracepoints.

// Bucket numbers 0..MAX_SLOT; bucket MAX_SLOT + 1 holds the sum of the
// latencies (the exporter's _sum).
#define MAX_SLOT 27
#define REQ_OP_BITS 8

struct disk_latency_key_t {
    u32 dev;      // user-space dev_t: major << 8 | minor's low byte | minor's high bits << 12
    u8 op;        // REQ_OP_* (0 read, 1 write, 2 flush, 3 discard, ...)
    u8 pad[3];
    u64 slot;
};

BPF_HASH(start, u64, u64, 10240);
BPF_HASH(bio_latency_seconds, struct disk_latency_key_t, u64, 8192);

RAW_TRACEPOINT_PROBE(block_rq_issue)
{
    // TP_PROTO(struct request *rq)
    u64 rq = ctx->args[0];
    u64 ts = bpf_ktime_get_ns();
    start.update(&rq, &ts);
    return 0;
}

RAW_TRACEPOINT_PROBE(block_rq_complete)
{
    // TP_PROTO(struct request *rq, blk_status_t error, unsigned int nr_bytes)
    u64 rq = ctx->args[0];
    u64 *tsp = start.lookup(&rq);
    if (tsp == 0)
        return 0;   // issued before we attached
    u64 delta_us = (bpf_ktime_get_ns() - *tsp) / 1000;
    start.delete(&rq);

    struct request *req = (struct request *)rq;
    unsigned int flags = 0;
    struct request_queue *q = 0;
    struct gendisk *disk = 0;
    int major = 0, minor = 0;
    bpf_probe_read_kernel(&flags, sizeof(flags), &req->cmd_flags);
    bpf_probe_read_kernel(&q, sizeof(q), &req->q);
    if (q)
        bpf_probe_read_kernel(&disk, sizeof(disk), &q->disk);
    if (disk) {
        bpf_probe_read_kernel(&major, sizeof(major), &disk->major);
        bpf_probe_read_kernel(&minor, sizeof(minor), &disk->first_minor);
    }

    struct disk_latency_key_t key = {};
    key.dev = (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
    key.op = flags & ((1 << REQ_OP_BITS) - 1);
    u64 slot = bpf_log2l(delta_us);
    key.slot = slot > MAX_SLOT ? MAX_SLOT : slot;
    bio_latency_seconds.atomic_increment(key);
    key.slot = MAX_SLOT + 1;
    bio_latency_seconds.atomic_increment(key, delta_us);
    return 0;
}
