// The schema of a bcc-exporter config: ebpf_exporter's `metrics:` section,
// with the program in bcc's C dialect instead of a prebuilt object.

/// One config file: a bcc program and the metrics read from its tables.
///
///     program: biolatency.c           # or code: | <bcc C inline>
///     cflags: [-DMAX_DISKS=64]
///     metrics:
///       counters:   [{name, help, labels, table?, ring_buffer?}]
///       histograms: [{name, help, bucket_type, bucket_min, bucket_max,
///                     bucket_multiplier, bucket_keys, labels, table?}]
public struct ExporterConfig: Sendable, Equatable {
    /// The config's name: its file name without .yaml / .yml.
    public var name: String
    /// The YAML file it came from.
    public var file: String
    /// The bcc C program.
    public var program: ProgramSource
    /// Extra compiler flags (-DNAME=VALUE, -I...).
    public var cflags: [String]
    /// Counters, in file order.
    public var counters: [CounterMetric]
    /// Histograms, in file order.
    public var histograms: [HistogramMetric]

    /// A config; `ConfigParser` makes validated ones.
    public init(name: String, file: String, program: ProgramSource, cflags: [String] = [],
                counters: [CounterMetric] = [], histograms: [HistogramMetric] = []) {
        self.name = name
        self.file = file
        self.program = program
        self.cflags = cflags
        self.counters = counters
        self.histograms = histograms
    }
}

/// Where a config's bcc program is.
public enum ProgramSource: Sendable, Equatable {
    /// `code:`, inline; `line` is the YAML line its text starts on, so that
    /// compile errors can point into the config.
    case inline(code: String, line: Int)
    /// `program:`, a .c file (resolved against the config's directory).
    case file(path: String)
}

/// A Prometheus counter whose samples are a table's u64 values (summed over
/// CPUs for per-CPU tables), labelled by decoding each key; or, with
/// `ringBuffer`, the records of a BPF_RINGBUF_OUTPUT table counted by label.
public struct CounterMetric: Sendable, Equatable {
    /// The metric name after the exporter's namespace prefix, and by default the table's name.
    public var name: String
    /// The HELP text.
    public var help: String
    /// The table to read; `name` unless `table:` says otherwise.
    public var table: String
    /// How the key (or ring record) splits into labels.
    public var labels: [LabelSpec]
    /// True when the table is a ring buffer whose records are counted
    /// (each record is the labels' bytes, optionally followed by a u64 increment).
    public var ringBuffer: Bool

    /// A counter.
    public init(name: String, help: String, table: String? = nil, labels: [LabelSpec] = [], ringBuffer: Bool = false) {
        self.name = name
        self.help = help
        self.table = table ?? name
        self.labels = labels
        self.ringBuffer = ringBuffer
    }
}

/// A Prometheus histogram assembled at scrape time from a table whose keys
/// end with a bucket number (the last label) and whose values are the
/// bucket's count.
public struct HistogramMetric: Sendable, Equatable {
    /// The metric name after the exporter's namespace prefix, and by default the table's name.
    public var name: String
    /// The HELP text.
    public var help: String
    /// The table to read; `name` unless `table:` says otherwise.
    public var table: String
    /// How bucket numbers map to upper bounds.
    public var buckets: BucketLayout
    /// How the key splits into labels; the last one is the bucket number.
    public var labels: [LabelSpec]

    /// A histogram.
    public init(name: String, help: String, table: String? = nil, buckets: BucketLayout, labels: [LabelSpec]) {
        self.name = name
        self.help = help
        self.table = table ?? name
        self.buckets = buckets
        self.labels = labels
    }
}

/// ebpf_exporter's bucket types: how the kernel's bucket numbers become `le` bounds.
public enum BucketType: String, Sendable, CaseIterable {
    /// Bucket k holds values up to 2^k (bcc's bpf_log2l slots): le = 2^k × multiplier.
    case exp2
    /// Bucket 0 holds zero, bucket k > 0 up to 2^(k-1): le = 0, then 2^(k-1) × multiplier.
    case exp2zero
    /// Bucket k holds values up to k: le = k × multiplier.
    case linear
    /// The buckets are the listed keys: le = key × multiplier.
    case fixed
}

/// A histogram's buckets: type, range (or keys) and the multiplier to the unit.
public struct BucketLayout: Sendable, Equatable {
    /// How bucket numbers map to bounds.
    public var type: BucketType
    /// The first bucket number (exp2, exp2zero, linear).
    public var min: Int
    /// The last bucket number (exp2, exp2zero, linear); number max + 1 may hold the sum.
    public var max: Int
    /// The bucket numbers (fixed); the last key + 1 may hold the sum.
    public var keys: [UInt64]
    /// Factor from the kernel's unit to the metric's (0.000001 for µs to seconds).
    public var multiplier: Double

    /// A layout; `ConfigParser` checks the ranges.
    public init(type: BucketType, min: Int = 0, max: Int = 0, keys: [UInt64] = [], multiplier: Double = 1) {
        self.type = type
        self.min = min
        self.max = max
        self.keys = keys
        self.multiplier = multiplier
    }
}

/// One label: `size` bytes of the key (then `padding` bytes skipped), turned
/// into the label's value by a chain of decoders.
public struct LabelSpec: Sendable, Equatable {
    /// The label name.
    public var name: String
    /// Bytes of the key this label decodes.
    public var size: Int
    /// Bytes skipped after it (struct padding).
    public var padding: Int
    /// Applied in order, each to the previous one's output.
    public var decoders: [DecoderSpec]

    /// A label.
    public init(name: String, size: Int, padding: Int = 0, decoders: [DecoderSpec]) {
        self.name = name
        self.size = size
        self.padding = padding
        self.decoders = decoders
    }
}

/// One decoder of a label's chain, with its settings.
public enum DecoderSpec: Sendable, Equatable {
    /// A little- or big-endian-as-the-host unsigned integer of 1, 2, 4 or 8 bytes, as decimal.
    case uint
    /// A NUL-terminated C string.
    case string
    /// The bytes as lowercase hex.
    case hex
    /// An IPv4 (4 bytes) or IPv6 (16 bytes) address.
    case inetIP
    /// A kernel address (8 bytes) as the function containing it.
    case ksym
    /// Kernel addresses (8 bytes each, 0 ends) as symbols, one a line.
    case kstack
    /// A decimal system call number (after `uint`) as its name.
    case syscall
    /// A decimal errno (after `uint`) as its name.
    case errno
    /// A dev_t (4 bytes, user-space encoding) as the block device's name from /proc/partitions.
    case majorMinor
    /// A decimal cgroup id (after `uint`) as the cgroup v2 path.
    case cgroup
    /// An interface index (4 bytes) as the interface's name.
    case ifname
    /// A DNS wire-format name as dotted text.
    case dname
    /// The input text looked up in `mapping`; unknown values become
    /// "unknown:VALUE", or stay as they are with `allowUnknown`.
    case staticMap(mapping: [String: String], allowUnknown: Bool)
    /// The first expression that matches gives the value (its first capture
    /// group, or the whole match); no match skips the key.
    case regexp(patterns: [String])

    /// The name configs use.
    public var name: String {
        switch self {
        case .uint: return "uint"
        case .string: return "string"
        case .hex: return "hex"
        case .inetIP: return "inet_ip"
        case .ksym: return "ksym"
        case .kstack: return "kstack"
        case .syscall: return "syscall"
        case .errno: return "errno"
        case .majorMinor: return "majorminor"
        case .cgroup: return "cgroup"
        case .ifname: return "ifname"
        case .dname: return "dname"
        case .staticMap: return "static_map"
        case .regexp: return "regexp"
        }
    }

    /// Every decoder name, for error messages.
    public static let names = ["cgroup", "dname", "errno", "hex", "ifname", "inet_ip", "kstack", "ksym",
                               "majorminor", "regexp", "static_map", "string", "syscall", "uint"]
}
