import BPFObject
import BTF
import CBPF
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A kernel BPF map, owned: its descriptor closes on `close()` or when the
/// last reference goes away.
///
/// Keys and values are raw bytes of exactly `keySize` / `valueSize`; the
/// typed variants (Map+Typed.swift) copy trivially copyable Swift values in
/// and out with the size checked, and the per-CPU variants (Map+PerCPU.swift)
/// handle one value per possible CPU.
public final class Map: Sendable, CustomStringConvertible {
    /// The map's descriptor.
    public let fd: OwnedFD
    /// The name the map was created with (the kernel keeps at most 15 characters).
    public let name: String
    /// The map type.
    public let type: MapType
    /// Bytes per key.
    public let keySize: Int
    /// Bytes per value (per CPU, for per-CPU maps).
    public let valueSize: Int
    /// The capacity (for a ring buffer: its size in bytes).
    public let maxEntries: Int
    /// The BPF_F_* flags the map was created with.
    public let flags: UInt32
    /// Set by ``freeze()``: the kernel then answers user-space writes with EPERM.
    private let isFrozen = Atomic<Bool>(false)

    /// Creates a map in the kernel (BPF_MAP_CREATE).
    ///
    /// - Parameters:
    ///   - btf: the BTF object and type ids describing key and value, so that
    ///     bpftool and the kernel can show them; needed for maps with spin locks or timers.
    ///   - innerMap: the template map for array-of-maps and hash-of-maps.
    ///   - mapExtra: map_extra (bloom filter hash count, arena address).
    /// - Throws: `BPFError.invalidArgument` naming the map for sizes the kernel
    ///   would reject (checked before the call where the rule is known),
    ///   `.permissionDenied` without CAP_BPF, and the kernel's error otherwise.
    public init(type: MapType, name: String, keySize: Int, valueSize: Int, maxEntries: Int, flags: UInt32 = 0,
                btf: (fd: OwnedFD, keyTypeID: BTFTypeID, valueTypeID: BTFTypeID)? = nil,
                innerMap: Map? = nil, mapExtra: UInt64 = 0) throws(BPFError) {
        self.type = type
        self.name = name
        self.keySize = keySize
        self.valueSize = valueSize
        self.maxEntries = maxEntries
        self.flags = flags
        let object = Map.objectName(type: type, name: name)
        try Map.validate(type: type, keySize: keySize, valueSize: valueSize, maxEntries: maxEntries, object: object)

        var attr = bpf_attr()
        attr.map_type = type.rawValue
        attr.key_size = UInt32(keySize)
        attr.value_size = UInt32(valueSize)
        attr.max_entries = UInt32(maxEntries)
        attr.map_flags = flags
        attr.map_extra = mapExtra
        withUnsafeMutableBytes(of: &attr.map_name) { KernelName.copy(name, into: $0) }
        if let innerMap { attr.inner_map_fd = UInt32(bitPattern: innerMap.fd.rawValue) }
        if let btf {
            attr.btf_fd = UInt32(bitPattern: btf.fd.rawValue)
            attr.btf_key_type_id = btf.keyTypeID.rawValue
            attr.btf_value_type_id = btf.valueTypeID.rawValue
        }
        fd = try Syscall.mapCreate(&attr, object: object)
        withExtendedLifetime((btf?.fd, innerMap)) {}
    }

    /// Takes ownership of `fd`, a map the kernel describes with these attributes.
    init(adopting fd: OwnedFD, type: MapType, name: String, keySize: Int, valueSize: Int, maxEntries: Int, flags: UInt32) {
        self.fd = fd
        self.type = type
        self.name = name
        self.keySize = keySize
        self.valueSize = valueSize
        self.maxEntries = maxEntries
        self.flags = flags
    }

    /// The kernel's id for this map (BPF_OBJ_GET_INFO_BY_FD).
    public var id: UInt32 {
        get throws(BPFError) {
            var info = bpf_map_info()
            _ = try withUnsafeMutableBytes(of: &info) { (buffer) throws(BPFError) in try Syscall.objectInfo(fd: fd.rawValue, into: buffer, object: objectName) }
            return info.id
        }
    }

    /// Closes the map's descriptor now; the map is unusable afterwards.
    public func close() { fd.close() }

    /// Bytes the kernel reads or writes for one value: `valueSize`, or for a
    /// per-CPU map one 8-byte aligned slot per possible CPU.
    public func kernelValueSize() throws(BPFError) -> Int {
        guard type.isPerCPU else { return valueSize }
        return try PossibleCPUs.count() * perCPUSlotSize
    }

    /// The stride of one CPU's value in a per-CPU buffer (the value size
    /// rounded up to 8 bytes).
    public var perCPUSlotSize: Int { (valueSize + 7) & ~7 }

    /// "hash map 'counts'": how errors name this map.
    public var objectName: String { Map.objectName(type: type, name: name) }

    /// A readable summary for messages and logs.
    public var description: String {
        "\(objectName) (key \(keySize) B, value \(valueSize) B, \(maxEntries) entries)"
    }

    // MARK: - Raw access

    /// The value stored under `key`, or nil if there is none.
    ///
    /// For per-CPU maps use `lookupPerCPU(key:)`.
    public func lookup(key: [UInt8]) throws(BPFError) -> [UInt8]? {
        try requireNotPerCPU("lookup in")
        try checkKey(key, operation: "lookup in")
        var value = [UInt8](repeating: 0, count: valueSize)
        let found = try lookupRaw(key: key, into: &value)
        return found ? value : nil
    }

    /// Stores `value` under `key`. `flags` chooses create-or-overwrite
    /// (`.any`), create only (`.noExist`) or overwrite only (`.exist`).
    public func update(key: [UInt8], value: [UInt8], flags: UpdateFlags = .any) throws(BPFError) {
        try requireNotPerCPU("update")
        try checkKey(key, operation: "update")
        guard value.count == valueSize else {
            throw BPFError.invalidArgument(operation: "update", object: objectName,
                                           detail: "the value is \(value.count) bytes, the map's values are \(valueSize) bytes")
        }
        try updateRaw(key: key, value: value, flags: flags)
    }

    /// Removes `key` and returns the value it held, or nil if there was none,
    /// in one step (BPF_MAP_LOOKUP_AND_DELETE_ELEM). For a queue or stack the
    /// key is empty and the value is the next one (bcc's `pop`).
    public func lookupAndDelete(key: [UInt8]) throws(BPFError) -> [UInt8]? {
        try requireNotPerCPU("lookup and delete in")
        try checkKey(key, operation: "lookup and delete in")
        var value = [UInt8](repeating: 0, count: valueSize)
        let found = try key.withBytes { (keyBytes) throws(BPFError) in
            try value.withMutableBytes { (valueBytes) throws(BPFError) in
                try Syscall.mapLookup(fd: fd.rawValue, key: keyPointer(keyBytes), value: valueBytes.baseAddress!,
                                      deleting: true, object: objectName)
            }
        }
        return found ? value : nil
    }

    /// Removes `key`. Throws `BPFError.notFound` if it is not there.
    public func delete(key: [UInt8]) throws(BPFError) {
        try checkKey(key, operation: "delete from")
        if try !deleteRaw(key: key) { throw BPFError.notFound(what: "key \(Map.hex(key)) in \(objectName)") }
    }

    /// Every key, in the kernel's iteration order (BPF_MAP_GET_NEXT_KEY).
    ///
    /// Keys deleted while iterating may make the kernel restart from the
    /// first key; the walk stops after `maxEntries` keys so it always ends.
    public func keys() throws(BPFError) -> [[UInt8]] {
        var keys: [[UInt8]] = []
        var current: [UInt8]? = nil
        var next = [UInt8](repeating: 0, count: keySize)
        while keys.count < maxEntries {
            let found = try next.withMutableBytes { (nextBytes) throws(BPFError) in
                if let current {
                    return try current.withBytes { (currentBytes) throws(BPFError) in
                        try Syscall.mapGetNextKey(fd: fd.rawValue, key: currentBytes.baseAddress,
                                                  nextKey: nextBytes.baseAddress!, object: objectName)
                    }
                }
                return try Syscall.mapGetNextKey(fd: fd.rawValue, key: nil, nextKey: nextBytes.baseAddress!,
                                                 object: objectName)
            }
            if !found { break }
            keys.append(next)
            current = next
        }
        return keys
    }

    /// Empties the map: deletes every key of a hash-like map, zeroes every
    /// value of an array (array entries cannot be deleted). Batch operations
    /// where the kernel has them (BPF_MAP_LOOKUP_AND_DELETE_BATCH,
    /// BPF_MAP_UPDATE_BATCH), else key by key.
    public func clear() throws(BPFError) {
        if type == .array || type == .perCPUArray {
            let stride = try kernelValueSize()
            var indexes = [UInt8](repeating: 0, count: maxEntries * 4)
            indexes.withUnsafeMutableBytes { bytes in
                for index in 0..<maxEntries { bytes.storeBytes(of: UInt32(index), toByteOffset: index * 4, as: UInt32.self) }
            }
            do {
                try updateBatch(keys: indexes, values: [UInt8](repeating: 0, count: maxEntries * stride))
            } catch .notSupported {
                let zeros = [UInt8](repeating: 0, count: stride)
                for index in 0..<maxEntries {
                    try updateRaw(key: Array(indexes[index * 4 ..< index * 4 + 4]), value: zeros, flags: .any)
                }
            }
            return
        }
        do {
            _ = try lookupAndDeleteBatch()
        } catch .notSupported {
            for key in try keys() { _ = try deleteRaw(key: key) }
        }
    }

    /// Forbids further writes from user space (BPF_MAP_FREEZE); programs can still write.
    public func freeze() throws(BPFError) {
        try Syscall.mapFreeze(fd: fd.rawValue, object: objectName)
        isFrozen.store(true, ordering: .releasing)
    }

    // MARK: - Internals shared by the typed and per-CPU variants

    /// Looks `key` up into `value`, which holds `kernelValueSize()` bytes.
    func lookupRaw(key: [UInt8], into value: inout [UInt8]) throws(BPFError) -> Bool {
        try key.withBytes { (keyBytes) throws(BPFError) in
            try value.withMutableBytes { (valueBytes) throws(BPFError) in
                try Syscall.mapLookup(fd: fd.rawValue, key: keyPointer(keyBytes), value: valueBytes.baseAddress!,
                                      object: objectName)
            }
        }
    }

    /// Stores `value` (`kernelValueSize()` bytes) under `key`.
    func updateRaw(key: [UInt8], value: [UInt8], flags: UpdateFlags) throws(BPFError) {
        try explainingFreeze("update") { () throws(BPFError) in
            try key.withBytes { (keyBytes) throws(BPFError) in
                try value.withBytes { (valueBytes) throws(BPFError) in
                    try Syscall.mapUpdate(fd: fd.rawValue, key: keyPointer(keyBytes),
                                          value: valueBytes.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!,
                                          flags: flags.rawValue, object: objectName)
                }
            }
        }
    }

    /// Removes `key`; false when it is not there.
    func deleteRaw(key: [UInt8]) throws(BPFError) -> Bool {
        try explainingFreeze("delete from") { () throws(BPFError) in
            try key.withBytes { (keyBytes) throws(BPFError) in
                try Syscall.mapDelete(fd: fd.rawValue, key: keyPointer(keyBytes), object: objectName)
            }
        }
    }

    /// A write the kernel refuses with EPERM after ``freeze()`` is refused
    /// for the freeze, not for missing privileges: say so.
    private func explainingFreeze<Result>(_ operation: String, _ write: () throws(BPFError) -> Result) throws(BPFError) -> Result {
        do {
            return try write()
        } catch {
            guard case .permissionDenied = error, isFrozen.load(ordering: .acquiring) else { throw error }
            throw .invalidArgument(operation: operation, object: objectName,
                                   detail: "the map is frozen (BPF_MAP_FREEZE): user space can no longer write it")
        }
    }

    func checkKey(_ key: [UInt8], operation: String) throws(BPFError) {
        guard key.count == keySize else {
            throw BPFError.invalidArgument(operation: operation, object: objectName,
                                           detail: "the key is \(key.count) bytes, the map's keys are \(keySize) bytes")
        }
    }

    private func requireNotPerCPU(_ operation: String) throws(BPFError) {
        guard !type.isPerCPU else {
            throw BPFError.invalidArgument(operation: operation, object: objectName,
                                           detail: "a per-CPU map holds one value per CPU; use lookupPerCPU / updatePerCPU")
        }
    }

    /// Zero-size keys (queues, stacks) are passed as NULL.
    private func keyPointer(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawPointer? {
        keySize == 0 ? nil : bytes.baseAddress
    }

    static func objectName(type: MapType, name: String) -> String { "\(type) map '\(name)'" }

    static func hex(_ bytes: [UInt8]) -> String {
        "0x" + bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    // MARK: - Validation before the syscall

    /// Rules the kernel enforces with a bare EINVAL, checked first so the
    /// error can say which rule and which map.
    static func validate(type: MapType, keySize: Int, valueSize: Int, maxEntries: Int, object: String) throws(BPFError) {
        let limit = Int(UInt32.max)
        guard (0...limit).contains(keySize), (0...limit).contains(valueSize), (0...limit).contains(maxEntries) else {
            throw BPFError.invalidArgument(operation: "create", object: object,
                                           detail: "key size, value size and max entries must each fit in 32 bits")
        }
        if type == .ringBuffer {
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            guard keySize == 0, valueSize == 0 else {
                throw BPFError.invalidArgument(operation: "create", object: object,
                                               detail: "a ring buffer has no keys or values: key size and value size must be 0")
            }
            guard maxEntries > 0, maxEntries & (maxEntries - 1) == 0, maxEntries % page == 0 else {
                var suggestion = page
                while suggestion < maxEntries { suggestion <<= 1 }
                throw BPFError.invalidArgument(operation: "create", object: object, detail:
                    "the size (max_entries \(maxEntries)) must be a power of two and a multiple of the page size"
                    + " (\(page) bytes), e.g. \(suggestion)")
            }
            return
        }
        // Local storage is sized by its owners (cgroups, sockets, inodes, tasks): the kernel wants max_entries 0.
        let localStorage: Set<MapType> = [.cgroupStorage, .perCPUCgroupStorage, .skStorage, .inodeStorage, .taskStorage, .cgrpStorage]
        guard maxEntries > 0 || localStorage.contains(type) else {
            throw BPFError.invalidArgument(operation: "create", object: object, detail: "max entries must be at least 1")
        }
    }
}
