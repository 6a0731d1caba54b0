import BPFObject
import EBPF

// The network tables filled from Swift: tail-call targets in a
// BPF_PROG_ARRAY, devices in a BPF_DEVMAP, sockets in a BPF_SOCKMAP or
// BPF_SOCKHASH, inner maps in a BPF_ARRAY_OF_MAPS or BPF_HASH_OF_MAPS.
extension Table {
    // MARK: - Program arrays

    /// Makes `program` the tail-call target at `index` of this BPF_PROG_ARRAY
    /// (bcc's `prog_array[c_int(i)] = c_int(fn.fd)`), for `table.call(ctx, i)`.
    /// The program's type must be the calling program's.
    public func setProgram(_ program: Program, at index: UInt32) throws(BCCError) {
        try require(.programArray, for: "setProgram")
        try kernel("set program '\(program.name)' at index \(index) of") {
            try map.update(key: bytes(of: index), value: bytes(of: UInt32(bitPattern: program.fd.rawValue)))
        }
    }

    /// Empties slot `index` of this BPF_PROG_ARRAY: `call` at it falls through.
    public func removeProgram(at index: UInt32) throws(BCCError) {
        try require(.programArray, for: "removeProgram")
        try kernel("remove program at index \(index) of") { try map.delete(key: bytes(of: index)) }
    }

    // MARK: - Device, CPU and socket maps

    /// Puts network device `dev` at `index` of this BPF_DEVMAP, for `redirect_map(index, 0)`.
    public func setDevice(_ dev: String, at index: UInt32) throws(BCCError) {
        try require(.devMap, for: "setDevice")
        let interface = try BCCError.wrapping("find", "network device '\(dev)'") { try NetworkInterface(name: dev) }
        try kernel("set device \(dev) at index \(index) of") {
            try map.update(key: bytes(of: index), value: bytes(of: UInt32(bitPattern: interface.index)))
        }
    }

    /// Puts socket `descriptor` (a TCP socket, established or listening)
    /// under `key` of this BPF_SOCKMAP or BPF_SOCKHASH; the programs attached
    /// to the table (``BPF/attachFunc(fnName:table:attachType:)``) then run on it.
    public func setSocket<Key: BitwiseCopyable>(_ descriptor: Int32, at key: Key) throws(BCCError) {
        guard type == .sockMap || type == .sockHash else {
            throw .invalidUse(object: "table '\(name)'", detail: "setSocket needs a BPF_SOCKMAP or BPF_SOCKHASH table; this is a \(type)")
        }
        let keyBytes = try checkedBytes(of: key, size: keySize, what: "key")
        // The kernel takes a 4- or 8-byte descriptor, whatever the map's value size says.
        try kernel("add socket \(descriptor) to") {
            try map.update(key: keyBytes, value: bytes(of: UInt32(bitPattern: descriptor)).prefix(valueSize) + [UInt8](repeating: 0, count: max(0, valueSize - 4)))
        }
    }

    // MARK: - Maps of maps

    /// Puts inner map `inner` under `key` of this BPF_ARRAY_OF_MAPS or
    /// BPF_HASH_OF_MAPS; its shape must be the inner table's. The kernel
    /// holds the inner map from then on.
    public func setInnerMap<Key: BitwiseCopyable>(_ inner: Map, at key: Key) throws(BCCError) {
        try requireMapOfMaps("setInnerMap")
        let keyBytes = try checkedBytes(of: key, size: keySize, what: "key")
        try kernel("set inner map '\(inner.name)' in") {
            try map.update(key: keyBytes, value: bytes(of: UInt32(bitPattern: inner.fd.rawValue)))
        }
    }

    /// The kernel id of the inner map under `key`, or nil when there is none.
    public func innerMapID<Key: BitwiseCopyable>(at key: Key) throws(BCCError) -> UInt32? {
        try requireMapOfMaps("innerMapID")
        let keyBytes = try checkedBytes(of: key, size: keySize, what: "key")
        return try self[keyBytes].map { $0.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } }
    }

    // MARK: - Helpers

    private func require(_ type: MapType, for operation: String) throws(BCCError) {
        guard self.type == type else {
            throw .invalidUse(object: "table '\(name)'", detail: "\(operation) needs a \(type) table; this is a \(self.type)")
        }
    }

    private func requireMapOfMaps(_ operation: String) throws(BCCError) {
        guard type == .arrayOfMaps || type == .hashOfMaps else {
            throw .invalidUse(object: "table '\(name)'", detail: "\(operation) needs a BPF_ARRAY_OF_MAPS or BPF_HASH_OF_MAPS table; this is a \(type)")
        }
    }

    /// The bytes of `value`, which must be `size` bytes (the map's key or value size).
    func checkedBytes<T: BitwiseCopyable>(of value: T, size: Int, what: String) throws(BCCError) -> [UInt8] {
        guard MemoryLayout<T>.size == size else {
            throw .invalidUse(object: "table '\(name)'", detail: "\(T.self) is \(MemoryLayout<T>.size) bytes but the map's \(what) is \(size) bytes")
        }
        return bytes(of: value)
    }

    private func bytes<T: BitwiseCopyable>(of value: T) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0.prefix(MemoryLayout<T>.size)) }
    }
}

extension BPF {
    /// Makes function `fnName` the tail-call target at `index` of
    /// BPF_PROG_ARRAY `table`, loaded with the type of the programs that call
    /// it: `type`, or else the function's own (from its context), or for a
    /// `struct __sk_buff *` function the one type this object's other such
    /// functions were attached with.
    public func setTailCall(table: String, index: UInt32, fnName: String, type: ProgramType? = nil) throws(BCCError) {
        try self.table(table).setProgram(try tailCallProgram(fnName, type: type), at: index)
    }

    /// A new map shaped like the inner table of BPF_ARRAY_OF_MAPS or
    /// BPF_HASH_OF_MAPS `table`, to fill from Swift and put in it with
    /// ``Table/setInnerMap(_:at:)``. The caller owns it (the outer map keeps
    /// its own reference once it holds it).
    public func createInnerMap(for table: String, name: String? = nil) throws(BCCError) -> Map {
        let declaration = try declaration(named: table)
        guard let innerName = declaration.innerTable, let inner = object.spec.map(named: table)?.innerMap else {
            throw .invalidUse(object: "table '\(table)'", detail: "is not a BPF_ARRAY_OF_MAPS or BPF_HASH_OF_MAPS table")
        }
        return try BCCError.wrapping("create an inner map for", "table '\(table)'") {
            try Map(type: inner.type, name: name ?? innerName, keySize: inner.keySize, valueSize: inner.valueSize,
                    maxEntries: inner.maxEntries, flags: inner.flags)
        }
    }

    private func tailCallProgram(_ fnName: String, type: ProgramType?) throws(BCCError) -> Program {
        guard let declared = functions.first(where: { $0.name == fnName }) else {
            throw .functionNotFound(name: fnName, available: functions.map(\.name))
        }
        if let type { return try loadFunc(fnName, type) }
        if !declared.loadsOnAttach { return try function(named: fnName) }
        let attachedTypes = Set(object.laterPrograms.map(\.program.type))
        guard attachedTypes.count == 1, let only = attachedTypes.first else {
            throw .invalidUse(object: "function '\(fnName)'", detail:
                "takes a struct __sk_buff *, so its type depends on the caller's: give setTailCall a type (.socketFilter, .schedCLS, ...)")
        }
        return try loadFunc(fnName, only)
    }
}
