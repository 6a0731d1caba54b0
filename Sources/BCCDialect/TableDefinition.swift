/// A table (BPF map) declared in the program with one of bcc's macros.
public struct TableDefinition: Sendable, Equatable {
    /// The kind of table, as bcc's macros name them.
    public enum Kind: String, Sendable, CaseIterable {
        case hash, array, histogram, percpuHash, percpuArray, lruHash, lruPercpuHash
        case stackTrace, perfOutput, ringBuffer, progArray, perfArray

        /// The BPF_MAP_TYPE_* enumerator the map is created with.
        package func mapTypeEnumerator(keyType: String) -> String {
            switch self {
            case .hash: return "BPF_MAP_TYPE_HASH"
            case .array: return "BPF_MAP_TYPE_ARRAY"
            // bcc: a histogram keyed by plain int is an array, otherwise a hash.
            case .histogram: return keyType == "int" ? "BPF_MAP_TYPE_ARRAY" : "BPF_MAP_TYPE_HASH"
            case .percpuHash: return "BPF_MAP_TYPE_PERCPU_HASH"
            case .percpuArray: return "BPF_MAP_TYPE_PERCPU_ARRAY"
            case .lruHash: return "BPF_MAP_TYPE_LRU_HASH"
            case .lruPercpuHash: return "BPF_MAP_TYPE_LRU_PERCPU_HASH"
            case .stackTrace: return "BPF_MAP_TYPE_STACK_TRACE"
            case .perfOutput: return "BPF_MAP_TYPE_PERF_EVENT_ARRAY"
            case .ringBuffer: return "BPF_MAP_TYPE_RINGBUF"
            case .progArray: return "BPF_MAP_TYPE_PROG_ARRAY"
            case .perfArray: return "BPF_MAP_TYPE_PERF_EVENT_ARRAY"
            }
        }

        /// The table type names BPF_TABLE("...") accepts.
        package init?(bpfTableType: String) {
            switch bpfTableType {
            case "hash": self = .hash
            case "array": self = .array
            case "histogram": self = .histogram
            case "percpu_hash": self = .percpuHash
            case "percpu_array": self = .percpuArray
            case "lru_hash": self = .lruHash
            case "lru_percpu_hash": self = .lruPercpuHash
            case "stacktrace": self = .stackTrace
            case "perf_output": self = .perfOutput
            case "ringbuf": self = .ringBuffer
            case "prog": self = .progArray
            case "perf_array": self = .perfArray
            default: return nil
            }
        }

        /// True for maps whose elements can be created by update (hash-like).
        package var createsElements: Bool {
            switch self {
            case .hash, .percpuHash, .lruHash, .lruPercpuHash: return true
            default: return false
            }
        }
    }

    /// The table's name in C, and the map's name.
    public var name: String
    /// What kind of table.
    public var kind: Kind
    /// The key type as written (C spelling).
    public var keyType: String
    /// The value ("leaf") type as written (C spelling).
    public var leafType: String
    /// max_entries as a C expression (bytes for ring buffers).
    public var maxEntries: String
    /// The user's line that declared it.
    public var line: Int
    /// BPF_F_TABLE's map flags as a C expression (e.g. BPF_F_NO_PREALLOC), if any.
    public var flags: String? = nil

    /// The name of the hidden per-CPU counter of dropped records of a ring buffer table.
    public static func lostCounterName(forRing ring: String) -> String { ring + "__lost" }

    /// True when the map's type depends on the key (a histogram keyed by int is an array).
    package var isArrayLike: Bool {
        mapTypeEnumerator.hasSuffix("ARRAY")
    }

    /// BPF_MAP_TYPE_* for this table.
    package var mapTypeEnumerator: String { kind.mapTypeEnumerator(keyType: keyType) }

    /// The libbpf-style BTF map definition, on one line (the rewriter keeps line numbers).
    package var cDefinition: String {
        var fields = "__uint(type, \(mapTypeEnumerator)); "
        switch kind {
        case .ringBuffer:
            break
        // The kernel refuses BTF key/value types for these map types: sizes only.
        case .perfOutput, .perfArray, .progArray:
            fields += "__uint(key_size, sizeof(u32)); __uint(value_size, sizeof(u32)); "
        case .stackTrace:
            fields += "__uint(key_size, sizeof(u32)); __uint(value_size, sizeof(u64) * PERF_MAX_STACK_DEPTH); "
        default:
            fields += "__type(key, \(keyType)); __type(value, \(leafType)); "
        }
        fields += "__uint(max_entries, \(maxEntries));"
        if let flags { fields += " __uint(map_flags, \(flags));" }
        var definition = "struct { \(fields) } \(name) SEC(\".maps\")"
        if kind == .ringBuffer {
            definition += "; struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __type(key, u32); __type(value, u64); "
                + "__uint(max_entries, 1); } \(Self.lostCounterName(forRing: name)) SEC(\".maps\")"
        }
        return definition
    }
}
