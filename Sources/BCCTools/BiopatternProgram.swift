// biopattern's BPF program: per disk, how many completed I/Os began where
// the previous one ended (sequential) and how many elsewhere (random), from
// the block:block_rq_complete tracepoint, as bcc's biopattern counts them.

/// The BPF side of biopattern.
public enum BiopatternProgram {
    /// The program; `filterDisk` keeps the device the tool writes into `disk_filter` (kernel dev_t).
    public static func source(filterDisk: Bool = false) -> String {
        let filter = filterDisk ? "if (dev != disk_filter_value()) return 0;" : ""
        let filterTable = filterDisk ? TableFilters.value("disk_filter") : ""
        return """
            struct counter {
                u64 last_sector;
                u64 bytes;
                u32 sequential;
                u32 random;
            };

            BPF_HASH(counters, u32, struct counter);
            \(filterTable)

            TRACEPOINT_PROBE(block, block_rq_complete)
            {
                struct counter zero = {};
                u32 dev = args->dev;
                u64 sector = args->sector;
                u32 nr_sector = args->nr_sector;
                \(filter)
                struct counter *counterp = counters.lookup_or_try_init(&dev, &zero);
                if (counterp == 0)
                    return 0;
                if (counterp->last_sector) {
                    if (counterp->last_sector == sector)
                        __sync_fetch_and_add(&counterp->sequential, 1);
                    else
                        __sync_fetch_and_add(&counterp->random, 1);
                    __sync_fetch_and_add(&counterp->bytes, nr_sector * 512);
                }
                counterp->last_sector = sector + nr_sector;
                return 0;
            }

            """
    }

    /// `struct counter`, the table's value.
    public struct Counter: BitwiseCopyable, Sendable, Equatable {
        /// The sector after the disk's last completed I/O.
        public var lastSector: UInt64
        /// Bytes of the I/Os counted.
        public var bytes: UInt64
        /// I/Os that began at `lastSector`.
        public var sequential: UInt32
        /// I/Os that began elsewhere.
        public var random: UInt32

        /// A counter's fields.
        public init(lastSector: UInt64 = 0, bytes: UInt64, sequential: UInt32, random: UInt32) {
            self.lastSector = lastSector
            self.bytes = bytes
            self.sequential = sequential
            self.random = random
        }
    }

    /// The column header.
    public static let header = [CText.left("TIME", 9), CText.left("DISK", 7), CText.right("%RND", 5), CText.right("%SEQ", 5),
                                CText.right("COUNT", 8), CText.right("KBYTES", 10)].joined(separator: " ")

    /// A disk's line ("%-9s %-7s %5d %5d %8d %10d"), or nil when it had no I/O to judge.
    public static func line(time: String, disk: String, counter: Counter) -> String? {
        let total = UInt64(counter.random) + UInt64(counter.sequential)
        guard total > 0 else { return nil }
        // Python's round() of the percentage: halves to even.
        let randomPercent = Int((Double(counter.random) * 100 / Double(total)).rounded(.toNearestOrEven))
        return [CText.left(time, 9), CText.left(disk, 7), CText.right(String(randomPercent), 5),
                CText.right(String(100 - randomPercent), 5), CText.right(String(total), 8),
                CText.right(String(counter.bytes / 1024), 10)].joined(separator: " ")
    }
}
