// bitesize's BPF program: the sizes of the block I/Os each process issues,
// as a log2 histogram in Kbytes from the block:block_rq_issue tracepoint,
// as bcc's bitesize counts them.

/// The BPF side of bitesize.
public enum BitesizeProgram {
    /// The program; `comm` keeps the I/O of processes so named, `disk` of one device (kernel dev_t).
    public static func source(comm: String? = nil, disk: UInt32? = nil) -> String {
        var filters = ""
        if let disk { filters += "if (args->dev != \(disk)) return 0;\n" }
        if let comm {
            // Compared byte by byte, the NUL included, as the tracepoint's comm holds it.
            let bytes = Array(comm.utf8.prefix(15)) + [0]
            filters += bytes.enumerated().map { "if (key.name[\($0.offset)] != \($0.element)) return 0;" }.joined(separator: "\n")
        }
        return """
            struct proc_key_t {
                char name[TASK_COMM_LEN];
                u64 slot;
            };

            BPF_HISTOGRAM(dist, struct proc_key_t);

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
