// biosnoop's BPF program: one record per block I/O with the process that
// issued it, its disk, sector, size and latency. bcc's biosnoop uses kprobes
// (blk_mq_start_request, __blk_account_io_start/done) or the block_io_start/
// block_io_done tracepoints; this one uses the raw tracepoints block_io_start
// (the issuing process), block_rq_issue (the start of the device's work) and
// block_rq_complete, keyed by the struct request they all carry.

/// The BPF side of biosnoop.
public enum BiosnoopProgram {
    /// The record's `pattern` (-P): the I/O started where the disk's previous one ended, or elsewhere.
    public enum Pattern: UInt32, Sendable {
        /// The first I/O seen on its disk.
        case unknown = 0
        /// Started at the sector after the previous I/O's last.
        case sequential = 1
        /// Started anywhere else.
        case random = 2
    }

    /// The program: `filterDisk` keeps the device the tool writes into
    /// `disk_filter` (kernel dev_t); `ringPages` sizes the ring.
    public static func source(filterDisk: Bool = false, ringPages: Int = 64) -> String {
        let filter = filterDisk ? "if (stage.dev != disk_filter_value()) return 0;" : ""
        let filterTable = filterDisk ? TableFilters.value("disk_filter") : ""
        return """
            #include <uapi/linux/ptrace.h>
            #include <linux/blk-mq.h>

            // Who queued the request, and when.
            struct biosnoop_who_t {
                u64 ts;
                u32 pid;
                char name[TASK_COMM_LEN];
            };

            // The request as the device got it.
            struct biosnoop_stage_t {
                u64 issue_ts;
                u64 sector;
                u64 len;
                u32 dev;
                u32 rwflag;
            };

            struct biosnoop_event_t {
                u32 pid;
                u32 dev;
                u64 rwflag;
                u64 delta;
                u64 qdelta;
                u64 sector;
                u64 len;
                u32 pattern;
                u64 ts;
                char name[TASK_COMM_LEN];
            };

            BPF_HASH(infobyreq, u64, struct biosnoop_who_t, 10240);
            BPF_HASH(start, u64, struct biosnoop_stage_t, 10240);
            BPF_HASH(last_sectors, u32, u64, 256);
            BPF_RINGBUF_OUTPUT(events, \(ringPages));
            \(filterTable)

            static u32 request_dev(struct request *rq)
            {
                struct gendisk *disk = rq->q->disk;
                if (disk == 0)
                    return 0;
                return MKDEV(disk->major, disk->first_minor);
            }

            RAW_TRACEPOINT_PROBE(block_io_start)
            {
                // TP_PROTO(struct request *rq): runs in the process that submitted the I/O.
                u64 key = ctx->args[0];
                struct biosnoop_who_t who = {};
                if (bpf_get_current_comm(&who.name, sizeof(who.name)) == 0) {
                    who.pid = bpf_get_current_pid_tgid() >> 32;
                    who.ts = bpf_ktime_get_ns();
                    infobyreq.update(&key, &who);
                }
                return 0;
            }

            RAW_TRACEPOINT_PROBE(block_rq_issue)
            {
                // TP_PROTO(struct request *rq)
                struct request *rq = (struct request *)ctx->args[0];
                u64 key = (u64)rq;
                struct biosnoop_stage_t stage = {};
                stage.dev = request_dev(rq);
                \(filter)
                stage.issue_ts = bpf_ktime_get_ns();
                stage.sector = rq->__sector;
                stage.len = rq->__data_len;
                stage.rwflag = (rq->cmd_flags & REQ_OP_MASK) == REQ_OP_WRITE;
                start.update(&key, &stage);
                return 0;
            }

            RAW_TRACEPOINT_PROBE(block_rq_complete)
            {
                // TP_PROTO(struct request *rq, blk_status_t error, unsigned int nr_bytes)
                u64 key = ctx->args[0];
                struct biosnoop_stage_t *stagep = start.lookup(&key);
                if (stagep == 0) {
                    infobyreq.delete(&key);
                    return 0;   // missed the issue
                }
                u64 ts = bpf_ktime_get_ns();
                struct biosnoop_event_t *event = events.ringbuf_reserve(sizeof(struct biosnoop_event_t));
                if (event == 0) {
                    start.delete(&key);
                    infobyreq.delete(&key);
                    return 0;   // counted as lost
                }
                event->delta = ts - stagep->issue_ts;
                event->ts = ts / 1000;
                event->qdelta = 0;
                event->sector = stagep->sector;
                event->len = stagep->len;
                event->dev = stagep->dev;
                event->rwflag = stagep->rwflag;
                event->pid = 0;
                __builtin_memset(event->name, 0, sizeof(event->name));
                struct biosnoop_who_t *whop = infobyreq.lookup(&key);
                if (whop == 0) {
                    event->name[0] = '?';
                } else {
                    if (stagep->issue_ts > whop->ts)
                        event->qdelta = stagep->issue_ts - whop->ts;
                    event->pid = whop->pid;
                    __builtin_memcpy(event->name, whop->name, sizeof(event->name));
                }

                u32 dev = stagep->dev;
                u64 *last = last_sectors.lookup(&dev);
                event->pattern = last == 0 ? 0 : (*last == stagep->sector ? 1 : 2);
                u64 next = stagep->sector + stagep->len / 512;
                last_sectors.update(&dev, &next);

                events.ringbuf_submit(event, 0);
                start.delete(&key);
                infobyreq.delete(&key);
                return 0;
            }

            """
    }
}
