// MARK: - MapType

/// A kernel map type (`enum bpf_map_type`), complete as of Linux 6.18. Any value
/// can be represented, so a newer kernel's types pass through; the
/// constants are the UAPI values (written as literals: this layer has no
/// kernel headers), checked against the running kernel's BTF by EBPFTests.
public struct MapType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The `bpf_map_type` value.
    public let rawValue: UInt32

    /// Wraps a `bpf_map_type` value.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    // MARK: Constants

    /// BPF_MAP_TYPE_UNSPEC: not a map type; the kernel refuses it.
    public static let unspecified = MapType(rawValue: 0)
    /// BPF_MAP_TYPE_HASH.
    public static let hash = MapType(rawValue: 1)
    /// BPF_MAP_TYPE_ARRAY.
    public static let array = MapType(rawValue: 2)
    /// BPF_MAP_TYPE_PROG_ARRAY: tail-call targets.
    public static let programArray = MapType(rawValue: 3)
    /// BPF_MAP_TYPE_PERF_EVENT_ARRAY: one perf event fd per CPU.
    public static let perfEventArray = MapType(rawValue: 4)
    /// BPF_MAP_TYPE_PERCPU_HASH.
    public static let perCPUHash = MapType(rawValue: 5)
    /// BPF_MAP_TYPE_PERCPU_ARRAY.
    public static let perCPUArray = MapType(rawValue: 6)
    /// BPF_MAP_TYPE_STACK_TRACE: stack ids to instruction pointers.
    public static let stackTrace = MapType(rawValue: 7)
    /// BPF_MAP_TYPE_CGROUP_ARRAY.
    public static let cgroupArray = MapType(rawValue: 8)
    /// BPF_MAP_TYPE_LRU_HASH.
    public static let lruHash = MapType(rawValue: 9)
    /// BPF_MAP_TYPE_LRU_PERCPU_HASH.
    public static let lruPerCPUHash = MapType(rawValue: 10)
    /// BPF_MAP_TYPE_LPM_TRIE: longest-prefix match.
    public static let lpmTrie = MapType(rawValue: 11)
    /// BPF_MAP_TYPE_ARRAY_OF_MAPS: inner maps, by index.
    public static let arrayOfMaps = MapType(rawValue: 12)
    /// BPF_MAP_TYPE_HASH_OF_MAPS: inner maps, by key.
    public static let hashOfMaps = MapType(rawValue: 13)
    /// BPF_MAP_TYPE_DEVMAP: XDP redirect to network devices, by index.
    public static let devMap = MapType(rawValue: 14)
    /// BPF_MAP_TYPE_SOCKMAP: sockets, by index, for sk_skb and sk_msg programs.
    public static let sockMap = MapType(rawValue: 15)
    /// BPF_MAP_TYPE_CPUMAP: XDP redirect to CPUs.
    public static let cpuMap = MapType(rawValue: 16)
    /// BPF_MAP_TYPE_XSKMAP: XDP redirect to AF_XDP sockets.
    public static let xskMap = MapType(rawValue: 17)
    /// BPF_MAP_TYPE_SOCKHASH: sockets, by key, for sk_skb and sk_msg programs.
    public static let sockHash = MapType(rawValue: 18)
    /// BPF_MAP_TYPE_CGROUP_STORAGE: per-cgroup storage of cgroup programs (the old, attach-bound kind).
    public static let cgroupStorage = MapType(rawValue: 19)
    /// BPF_MAP_TYPE_REUSEPORT_SOCKARRAY: SO_REUSEPORT sockets for sk_reuseport programs.
    public static let reuseportSockArray = MapType(rawValue: 20)
    /// BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE.
    public static let perCPUCgroupStorage = MapType(rawValue: 21)
    /// BPF_MAP_TYPE_QUEUE.
    public static let queue = MapType(rawValue: 22)
    /// BPF_MAP_TYPE_STACK.
    public static let stack = MapType(rawValue: 23)
    /// BPF_MAP_TYPE_SK_STORAGE: per-socket storage.
    public static let skStorage = MapType(rawValue: 24)
    /// BPF_MAP_TYPE_DEVMAP_HASH: XDP redirect to network devices, by key.
    public static let devMapHash = MapType(rawValue: 25)
    /// BPF_MAP_TYPE_STRUCT_OPS: a struct of BPF programs implementing kernel ops.
    public static let structOps = MapType(rawValue: 26)
    /// BPF_MAP_TYPE_RINGBUF: the BPF ring buffer (Linux 5.8+).
    public static let ringBuffer = MapType(rawValue: 27)
    /// BPF_MAP_TYPE_INODE_STORAGE: per-inode storage (LSM).
    public static let inodeStorage = MapType(rawValue: 28)
    /// BPF_MAP_TYPE_TASK_STORAGE: per-task storage.
    public static let taskStorage = MapType(rawValue: 29)
    /// BPF_MAP_TYPE_BLOOM_FILTER: membership test with false positives.
    public static let bloomFilter = MapType(rawValue: 30)
    /// BPF_MAP_TYPE_USER_RINGBUF: a ring buffer user space writes and programs drain.
    public static let userRingBuffer = MapType(rawValue: 31)
    /// BPF_MAP_TYPE_CGRP_STORAGE: cgroup local storage, like task storage (Linux 6.2+).
    public static let cgrpStorage = MapType(rawValue: 32)
    /// BPF_MAP_TYPE_ARENA: memory shared by programs and user space.
    public static let arena = MapType(rawValue: 33)

    // MARK: Properties

    /// True for map types whose values hold one slot per possible CPU.
    public var isPerCPU: Bool {
        self == .perCPUHash || self == .perCPUArray || self == .lruPerCPUHash || self == .perCPUCgroupStorage
    }

    // MARK: Names

    /// The C enumerator, e.g. "BPF_MAP_TYPE_HASH", or the decimal value for one this table
    /// does not know (a newer kernel's): either way a C expression for the value.
    public var cName: String { MapType.names[rawValue]?.c ?? String(rawValue) }

    /// A readable summary for messages and logs.
    public var description: String { MapType.names[rawValue]?.summary ?? "map type \(rawValue)" }

    /// Every value this table knows, in UAPI order.
    public static var allKnown: [MapType] { names.keys.sorted().map(MapType.init(rawValue:)) }

    private static let names: [UInt32: (c: String, summary: String)] = [
        unspecified.rawValue: ("BPF_MAP_TYPE_UNSPEC", "unspecified"),
        hash.rawValue: ("BPF_MAP_TYPE_HASH", "hash"),
        array.rawValue: ("BPF_MAP_TYPE_ARRAY", "array"),
        programArray.rawValue: ("BPF_MAP_TYPE_PROG_ARRAY", "prog array"),
        perfEventArray.rawValue: ("BPF_MAP_TYPE_PERF_EVENT_ARRAY", "perf event array"),
        perCPUHash.rawValue: ("BPF_MAP_TYPE_PERCPU_HASH", "percpu hash"),
        perCPUArray.rawValue: ("BPF_MAP_TYPE_PERCPU_ARRAY", "percpu array"),
        stackTrace.rawValue: ("BPF_MAP_TYPE_STACK_TRACE", "stack trace"),
        cgroupArray.rawValue: ("BPF_MAP_TYPE_CGROUP_ARRAY", "cgroup array"),
        lruHash.rawValue: ("BPF_MAP_TYPE_LRU_HASH", "LRU hash"),
        lruPerCPUHash.rawValue: ("BPF_MAP_TYPE_LRU_PERCPU_HASH", "LRU percpu hash"),
        lpmTrie.rawValue: ("BPF_MAP_TYPE_LPM_TRIE", "LPM trie"),
        arrayOfMaps.rawValue: ("BPF_MAP_TYPE_ARRAY_OF_MAPS", "array of maps"),
        hashOfMaps.rawValue: ("BPF_MAP_TYPE_HASH_OF_MAPS", "hash of maps"),
        devMap.rawValue: ("BPF_MAP_TYPE_DEVMAP", "devmap"),
        sockMap.rawValue: ("BPF_MAP_TYPE_SOCKMAP", "sockmap"),
        cpuMap.rawValue: ("BPF_MAP_TYPE_CPUMAP", "cpumap"),
        xskMap.rawValue: ("BPF_MAP_TYPE_XSKMAP", "xskmap"),
        sockHash.rawValue: ("BPF_MAP_TYPE_SOCKHASH", "sockhash"),
        cgroupStorage.rawValue: ("BPF_MAP_TYPE_CGROUP_STORAGE", "cgroup storage"),
        reuseportSockArray.rawValue: ("BPF_MAP_TYPE_REUSEPORT_SOCKARRAY", "reuseport sockarray"),
        perCPUCgroupStorage.rawValue: ("BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE", "percpu cgroup storage"),
        queue.rawValue: ("BPF_MAP_TYPE_QUEUE", "queue"),
        stack.rawValue: ("BPF_MAP_TYPE_STACK", "stack"),
        skStorage.rawValue: ("BPF_MAP_TYPE_SK_STORAGE", "socket storage"),
        devMapHash.rawValue: ("BPF_MAP_TYPE_DEVMAP_HASH", "devmap hash"),
        structOps.rawValue: ("BPF_MAP_TYPE_STRUCT_OPS", "struct_ops"),
        ringBuffer.rawValue: ("BPF_MAP_TYPE_RINGBUF", "ring buffer"),
        inodeStorage.rawValue: ("BPF_MAP_TYPE_INODE_STORAGE", "inode storage"),
        taskStorage.rawValue: ("BPF_MAP_TYPE_TASK_STORAGE", "task storage"),
        bloomFilter.rawValue: ("BPF_MAP_TYPE_BLOOM_FILTER", "bloom filter"),
        userRingBuffer.rawValue: ("BPF_MAP_TYPE_USER_RINGBUF", "user ring buffer"),
        cgrpStorage.rawValue: ("BPF_MAP_TYPE_CGRP_STORAGE", "cgroup local storage"),
        arena.rawValue: ("BPF_MAP_TYPE_ARENA", "arena"),
    ]
}
