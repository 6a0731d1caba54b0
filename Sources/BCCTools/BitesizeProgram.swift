// bitesize's BPF program: the sizes of the block I/Os each process issues,
// as a log2 histogram in Kbytes from the block:block_rq_issue tracepoint,
// as bcc's bitesize counts them.

/// The BPF side of bitesize.
public enum BitesizeProgram {
    /// The program; `filterComm` keeps the I/O of processes named as the
    /// tool writes into `comm_filter`, `filterDisk` of the device in `disk_filter` (kernel dev_t).
    public static func source(filterComm: Bool = false, filterDisk: Bool = false) -> String {
        var filters = ""
        var tables = ""
        if filterDisk {
            tables += TableFilters.value("disk_filter") + "\n"
            filters += "if (args->dev != disk_filter_value()) return 0;\n"
        }
        if filterComm {
            tables += TableFilters.comm("comm_filter") + "\n"
            filters += "if (!comm_filter_matches(key.name)) return 0;"
        }
        return """
            struct proc_key_t {
                char name[TASK_COMM_LEN];
                u64 slot;
            };

            BPF_HISTOGRAM(dist, struct proc_key_t);
            \(tables)

            TRACEPOINT_PROBE(block, block_rq_issue)
            {
                struct proc_key_t key = {.slot = bpf_log2l(args->bytes / 1024)};
                bpf_probe_read_kernel(&key.name, sizeof(key.name), args->comm);
                \(filters)
                dist.atomic_increment(key);
                return 0;
            }

            """
    }
}
