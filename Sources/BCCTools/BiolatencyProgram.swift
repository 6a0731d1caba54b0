// biolatency's BPF program: block I/O latency from issue (or, with -Q, from
// the block layer's accounting start) to completion, as a log2 histogram.
// bcc's biolatency uses kprobes on blk_mq_start_request and
// __blk_account_io_done; this one uses the raw tracepoints block_rq_issue,
// block_io_start and block_rq_complete, which carry the same struct request.

/// The BPF side of biolatency.
public enum BiolatencyProgram {
    /// How latencies are grouped.
    public enum Grouping: Sendable {
        /// One histogram.
        case none
        /// One per disk (-D).
        case disk
        /// One per set of request flags (-F).
        case flags
    }

    /// The program: `milliseconds` stores msecs instead of usecs, `queued`
    /// starts the clock when the I/O is accounted rather than issued (-Q),
    /// `summary` also sums total and count (-e), `filterDisk` keeps the
    /// device the tool writes into `disk_filter` (kernel dev_t).
    public static func source(milliseconds: Bool = false, queued: Bool = false, grouping: Grouping = .none,
                              summary: Bool = false, filterDisk: Bool = false) -> String {
        var storage: String
        var store: String
        switch grouping {
        case .none:
            storage = "BPF_HISTOGRAM(dist);"
            store = "dist.atomic_increment(bpf_log2l(delta));"
        case .disk:
            storage = "BPF_HISTOGRAM(dist, disk_key_t);"
            store = "disk_key_t dkey = {}; dkey.dev = request_dev(rq); dkey.slot = bpf_log2l(delta); dist.atomic_increment(dkey);"
        case .flags:
            storage = "BPF_HISTOGRAM(dist, flag_key_t);"
            store = "flag_key_t fkey = {.slot = bpf_log2l(delta)}; fkey.flags = rq->cmd_flags; dist.atomic_increment(fkey);"
        }
        if summary {
            storage += "\nBPF_ARRAY(extension, ext_val_t, 1);"
            store += """

                    u32 index = 0;
                    ext_val_t *ext_val = extension.lookup(&index);
                    if (ext_val) {
                        lock_xadd(&ext_val->total, delta);
                        lock_xadd(&ext_val->count, 1);
                    }
                """
        }
        if filterDisk { storage += "\n" + TableFilters.value("disk_filter") }
        let filter = filterDisk ? "if (request_dev(rq) != disk_filter_value()) return 0;" : ""
        let startPoint = queued ? "block_io_start" : "block_rq_issue"
        return """
            #include <uapi/linux/ptrace.h>
            #include <linux/blk-mq.h>

            typedef struct disk_key {
                dev_t dev;
                u64 slot;
            } disk_key_t;

            typedef struct flag_key {
                u64 flags;
                u64 slot;
            } flag_key_t;

            typedef struct ext_val {
                u64 total;
                u64 count;
            } ext_val_t;

            // Start times by request address.
            BPF_HASH(start, u64, u64, 10240);

            // The request's disk as the kernel's dev_t (MKDEV(major, first_minor)).
            static dev_t request_dev(struct request *rq)
            {
                struct gendisk *disk = rq->q->disk;
                if (disk == 0)
                    return 0;
                return MKDEV(disk->major, disk->first_minor);
            }
            \(storage)

            RAW_TRACEPOINT_PROBE(\(startPoint))
            {
                // TP_PROTO(struct request *rq)
                struct request *rq = (struct request *)ctx->args[0];
                \(filter)
                u64 key = (u64)rq;
                u64 ts = bpf_ktime_get_ns();
                start.update(&key, &ts);
                return 0;
            }

            RAW_TRACEPOINT_PROBE(block_rq_complete)
            {
                // TP_PROTO(struct request *rq, blk_status_t error, unsigned int nr_bytes)
                struct request *rq = (struct request *)ctx->args[0];
                u64 key = (u64)rq;
                u64 *tsp = start.lookup(&key);
                if (tsp == 0)
                    return 0;   // missed the start
                u64 delta = bpf_ktime_get_ns() - *tsp;
                \(milliseconds ? "delta /= 1000000;" : "delta /= 1000;")
                \(store)
                start.delete(&key);
                return 0;
            }

            """
    }

    // MARK: - Request flags (-F)

    /// bcc's names of a request's operation and flags (its `flags_print`,
    /// after the kernel's blk_fill_rwbs): "Sync-Write", "ReadAhead-Read"...
    public static func describe(flags: UInt64) -> String {
        let operations: [UInt64: String] = [
            0: "Read", 1: "Write", 2: "Flush", 3: "Discard", 5: "SecureErase", 6: "ZoneReset", 7: "WriteSame", 9: "WriteZeros",
        ]
        // REQ_OP_BITS and the __REQ_* bit numbers of include/linux/blk_types.h (as bcc hard-codes them).
        let operationBits: UInt64 = 8
        var text = operations[flags & ((1 << operationBits) - 1)] ?? "Unknown"
        let named: [(bit: UInt64, name: String)] = [
            (3, "Sync"), (4, "Metadata"), (9, "ForcedUnitAccess"), (5, "Priority"), (6, "NoMerge"),
            (7, "Idle"), (11, "ReadAhead"), (12, "Background"), (13, "NoWait"),
        ]
        for (bit, name) in named where flags & (1 << (operationBits + bit)) != 0 {
            text = name + "-" + text
        }
        return text
    }
}
