import BPFObject

/// A table (BPF map) declared in the program with one of bcc's macros.
public struct TableDefinition: Sendable, Equatable {
    /// The kind of table, as bcc's macros name them.
    public enum Kind: String, Sendable, CaseIterable {
        case hash, array, histogram, perCPUHash, perCPUArray, lruHash, lruPerCPUHash
        case stackTrace, perfOutput, ringBuffer, programArray, perfArray
        // Network tables (Table+Network in BCC; DialectRewriter+Network).
        case lpmTrie, devMap, cpuMap, xskMap, sockMap, sockHash, arrayOfMaps, hashOfMaps
        // Queues, cgroup arrays and local storage (DialectRewriter+StorageTables).
        case queue, stack, cgroupArray, skStorage, inodeStorage, taskStorage, cgroupStorage, perCPUCgroupStorage

        /// The map type the table is created with.
        package func mapType(keyType: String) -> MapType {
            switch self {
            case .hash: return .hash
            case .array: return .array
            // bcc: a histogram keyed by plain int is an array, otherwise a hash.
            case .histogram: return keyType == "int" ? .array : .hash
            case .perCPUHash: return .perCPUHash
            case .perCPUArray: return .perCPUArray
            case .lruHash: return .lruHash
            case .lruPerCPUHash: return .lruPerCPUHash
            case .stackTrace: return .stackTrace
            case .perfOutput, .perfArray: return .perfEventArray
            case .ringBuffer: return .ringBuffer
            case .programArray: return .programArray
            case .lpmTrie: return .lpmTrie
            case .devMap: return .devMap
            case .cpuMap: return .cpuMap
            case .xskMap: return .xskMap
            case .sockMap: return .sockMap
            case .sockHash: return .sockHash
            case .arrayOfMaps: return .arrayOfMaps
            case .hashOfMaps: return .hashOfMaps
            case .queue: return .queue
            case .stack: return .stack
            case .cgroupArray: return .cgroupArray
            case .skStorage: return .skStorage
            case .inodeStorage: return .inodeStorage
            case .taskStorage: return .taskStorage
            case .cgroupStorage: return .cgroupStorage
            case .perCPUCgroupStorage: return .perCPUCgroupStorage
            }
        }

        /// The table type names BPF_TABLE("...") accepts.
        package init?(bpfTableType: String) {
            switch bpfTableType {
            case "hash": self = .hash
            case "array": self = .array
            case "histogram": self = .histogram
            case "percpu_hash": self = .perCPUHash
            case "percpu_array": self = .perCPUArray
            case "lru_hash": self = .lruHash
            case "lru_percpu_hash": self = .lruPerCPUHash
            case "stacktrace": self = .stackTrace
            case "perf_output": self = .perfOutput
            case "ringbuf": self = .ringBuffer
            case "prog": self = .programArray
            case "perf_array": self = .perfArray
            case "lpm_trie": self = .lpmTrie
            case "devmap": self = .devMap
            case "cpumap": self = .cpuMap
            case "xskmap": self = .xskMap
            case "sockmap": self = .sockMap
            case "sockhash": self = .sockHash
            case "array_of_maps": self = .arrayOfMaps
            case "hash_of_maps": self = .hashOfMaps
            case "queue": self = .queue
            case "stack": self = .stack
            case "cgroup_array": self = .cgroupArray
            case "sk_storage": self = .skStorage
            case "inode_storage": self = .inodeStorage
            case "task_storage": self = .taskStorage
            case "cgroup_storage": self = .cgroupStorage
            case "percpu_cgroup_storage": self = .perCPUCgroupStorage
            default: return nil
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
    /// Whether other programs or processes use the same map.
    public var sharing: Sharing = .none

    /// How a table is shared beyond its program (bcc's BPF_TABLE_PUBLIC,
    /// BPF_TABLE_SHARED, BPF_TABLE_PINNED and BPF_TABLE("extern", ...)).
    public enum Sharing: Sendable, Equatable {
        /// The program's own map.
        case none
        /// BPF_TABLE_PUBLIC and BPF_TABLE_SHARED: programs loaded later in the
        /// process can declare it "extern" and use the same map.
        case exported
        /// BPF_TABLE("extern", ...): the map a program loaded earlier exported.
        case imported
        /// BPF_TABLE_PINNED: the map pinned at `path`, created and pinned there when none is.
        case pinned(path: String)
    }
    /// For BPF_ARRAY_OF_MAPS and BPF_HASH_OF_MAPS: the table whose shape the inner maps have.
    public var innerTable: String? = nil

    /// The name of the hidden per-CPU counter of dropped records of a ring buffer table.
    public static func lostCounterName(forRing ring: String) -> String { ring + "__lost" }

    /// The map type the table is created with (a histogram keyed by int is an array).
    public var mapType: MapType { kind.mapType(keyType: keyType) }

    /// True when keys are indexes into preallocated slots: elements cannot be
    /// created by an update, only overwritten.
    package var isArrayLike: Bool {
        [.array, .perCPUArray, .programArray, .perfEventArray, .cgroupArray].contains(mapType)
    }

    /// The libbpf-style BTF map definition, on one line (the rewriter keeps line numbers).
    package var cDefinition: String {
        var fields = "__uint(type, \(mapType.cName)); "
        switch kind {
        case .ringBuffer:
            break
        // The kernel refuses BTF key/value types for these map types: sizes only.
        case .perfOutput, .perfArray, .programArray, .cgroupArray:
            fields += "__uint(key_size, sizeof(u32)); __uint(value_size, sizeof(u32)); "
        // Queues and stacks have no key.
        case .queue, .stack:
            fields += "__type(value, \(leafType)); "
        case .stackTrace:
            // BPF_STACK_TRACE_BUILDID's frames are struct bpf_stack_build_id, plain ones addresses.
            let frame = leafType.hasPrefix("struct bpf_stack_build_id") ? "struct bpf_stack_build_id" : "u64"
            fields += "__uint(key_size, sizeof(u32)); __uint(value_size, sizeof(\(frame)) * PERF_MAX_STACK_DEPTH); "
        case .arrayOfMaps, .hashOfMaps:
            fields += "__type(key, \(keyType)); "
        default:
            fields += "__type(key, \(keyType)); __type(value, \(leafType)); "
        }
        // Local storage lives with its object: the kernel wants max_entries 0.
        if !kind.isLocalStorage { fields += "__uint(max_entries, \(maxEntries));" }
        if let flags { fields += " __uint(map_flags, \(flags));" }
        // The outer map's values are maps shaped like the inner table (the loader makes the
        // template); a flexible array member, so last.
        if kind == .arrayOfMaps || kind == .hashOfMaps { fields += " __array(values, typeof(\(innerTable ?? "void")));" }
        var definition = "struct { \(fields) } \(name) SEC(\".maps\")"
        if kind == .ringBuffer {
            definition += "; struct { __uint(type, \(MapType.perCPUArray.cName)); __type(key, u32); __type(value, u64); "
                + "__uint(max_entries, 1); } \(Self.lostCounterName(forRing: name)) SEC(\".maps\")"
        }
        return definition
    }
}
