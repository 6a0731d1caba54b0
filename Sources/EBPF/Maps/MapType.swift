import CBPF

/// A kernel map type (enum bpf_map_type). Any value the kernel defines can be
/// represented; the constants name the ones swift-bcc and bcc use.
public struct MapType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The bpf_map_type value.
    public let rawValue: UInt32

    /// Wraps a bpf_map_type value.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    private init(_ type: bpf_map_type) { rawValue = type.rawValue }

    /// BPF_MAP_TYPE_HASH.
    public static let hash = MapType(BPF_MAP_TYPE_HASH)
    /// BPF_MAP_TYPE_ARRAY.
    public static let array = MapType(BPF_MAP_TYPE_ARRAY)
    /// BPF_MAP_TYPE_PROG_ARRAY: tail-call targets.
    public static let programArray = MapType(BPF_MAP_TYPE_PROG_ARRAY)
    /// BPF_MAP_TYPE_PERF_EVENT_ARRAY: one perf event fd per CPU.
    public static let perfEventArray = MapType(BPF_MAP_TYPE_PERF_EVENT_ARRAY)
    /// BPF_MAP_TYPE_PERCPU_HASH.
    public static let perCPUHash = MapType(BPF_MAP_TYPE_PERCPU_HASH)
    /// BPF_MAP_TYPE_PERCPU_ARRAY.
    public static let perCPUArray = MapType(BPF_MAP_TYPE_PERCPU_ARRAY)
    /// BPF_MAP_TYPE_STACK_TRACE: stack ids to instruction pointers.
    public static let stackTrace = MapType(BPF_MAP_TYPE_STACK_TRACE)
    /// BPF_MAP_TYPE_CGROUP_ARRAY.
    public static let cgroupArray = MapType(BPF_MAP_TYPE_CGROUP_ARRAY)
    /// BPF_MAP_TYPE_LRU_HASH.
    public static let lruHash = MapType(BPF_MAP_TYPE_LRU_HASH)
    /// BPF_MAP_TYPE_LRU_PERCPU_HASH.
    public static let lruPerCPUHash = MapType(BPF_MAP_TYPE_LRU_PERCPU_HASH)
    /// BPF_MAP_TYPE_LPM_TRIE.
    public static let lpmTrie = MapType(BPF_MAP_TYPE_LPM_TRIE)
    /// BPF_MAP_TYPE_ARRAY_OF_MAPS.
    public static let arrayOfMaps = MapType(BPF_MAP_TYPE_ARRAY_OF_MAPS)
    /// BPF_MAP_TYPE_HASH_OF_MAPS.
    public static let hashOfMaps = MapType(BPF_MAP_TYPE_HASH_OF_MAPS)
    /// BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE.
    public static let perCPUCgroupStorage = MapType(BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE)
    /// BPF_MAP_TYPE_QUEUE.
    public static let queue = MapType(BPF_MAP_TYPE_QUEUE)
    /// BPF_MAP_TYPE_STACK.
    public static let stack = MapType(BPF_MAP_TYPE_STACK)
    /// BPF_MAP_TYPE_RINGBUF: the BPF ring buffer (Linux 5.8+).
    public static let ringBuffer = MapType(BPF_MAP_TYPE_RINGBUF)
    /// BPF_MAP_TYPE_TASK_STORAGE.
    public static let taskStorage = MapType(BPF_MAP_TYPE_TASK_STORAGE)

    /// True for map types whose values hold one slot per possible CPU.
    public var isPerCPU: Bool {
        self == .perCPUHash || self == .perCPUArray || self == .lruPerCPUHash || self == .perCPUCgroupStorage
    }

    /// A readable summary for messages and logs.
    public var description: String {
        MapType.names[rawValue] ?? "map type \(rawValue)"
    }

    private static let names: [UInt32: String] = [
        hash.rawValue: "hash", array.rawValue: "array", programArray.rawValue: "prog array",
        perfEventArray.rawValue: "perf event array", perCPUHash.rawValue: "percpu hash",
        perCPUArray.rawValue: "percpu array", stackTrace.rawValue: "stack trace",
        cgroupArray.rawValue: "cgroup array", lruHash.rawValue: "LRU hash",
        lruPerCPUHash.rawValue: "LRU percpu hash", lpmTrie.rawValue: "LPM trie",
        arrayOfMaps.rawValue: "array of maps", hashOfMaps.rawValue: "hash of maps",
        perCPUCgroupStorage.rawValue: "percpu cgroup storage", queue.rawValue: "queue",
        stack.rawValue: "stack", ringBuffer.rawValue: "ring buffer", taskStorage.rawValue: "task storage",
    ]
}
