import CBPF
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// MARK: - Every entry at once

/// A copy of a map's entries, keys and values each packed back to back: the
/// form BPF_MAP_LOOKUP_BATCH fills, and no array per entry.
public struct MapEntries: Sendable {
    /// Bytes per key.
    public let keySize: Int
    /// Bytes per value: the map's value size, or for a per-CPU map one
    /// 8-byte aligned slot per possible CPU (`Map.kernelValueSize()`).
    public let valueStride: Int
    /// The number of entries.
    public private(set) var count: Int
    /// `count` keys of `keySize` bytes.
    public private(set) var keys: [UInt8]
    /// `count` values of `valueStride` bytes, in the order of `keys`.
    public private(set) var values: [UInt8]

    init(keySize: Int, valueStride: Int) {
        self.keySize = keySize
        self.valueStride = valueStride
        count = 0
        keys = []
        values = []
    }

    /// The key of entry `index`.
    public func key(at index: Int) -> ArraySlice<UInt8> {
        keys[index * keySize ..< (index + 1) * keySize]
    }

    /// The value of entry `index` (`valueStride` bytes).
    public func value(at index: Int) -> ArraySlice<UInt8> {
        values[index * valueStride ..< (index + 1) * valueStride]
    }

    /// Appends the first `added` entries of `keyBuffer` and `valueBuffer`.
    mutating func append(keys keyBuffer: [UInt8], values valueBuffer: [UInt8], count added: Int) {
        keys.append(contentsOf: keyBuffer[0 ..< added * keySize])
        values.append(contentsOf: valueBuffer[0 ..< added * valueStride])
        count += added
    }
}

extension Map {
    /// Every entry: with `lookupBatch()` where the kernel has batch lookups
    /// for this map type (Linux 5.6+, hash and array maps), else one key at a
    /// time with `lookupEach()`.
    public func entries() throws(BPFError) -> MapEntries {
        do {
            return try lookupBatch()
        } catch .notSupported {
            return try lookupEach()
        }
    }

    /// Every entry, read `batchSize` at a time with BPF_MAP_LOOKUP_BATCH:
    /// one system call per batch instead of two per key.
    ///
    /// A hash map is read bucket by bucket, so an entry added or deleted
    /// during the read may or may not be in the result, as with a key walk.
    ///
    /// - Throws: `BPFError.notSupported` where the kernel has no batch
    ///   lookup for this map type (before 5.6, or rings, queues, tries).
    public func lookupBatch(batchSize: Int = 4096) throws(BPFError) -> MapEntries {
        try readBatches(BPF_MAP_LOOKUP_BATCH, operation: "batch lookup in", batchSize: batchSize)
    }

    /// Every entry, deleted as it is read, `batchSize` at a time with
    /// BPF_MAP_LOOKUP_AND_DELETE_BATCH (bcc's `items_lookup_and_delete_batch`):
    /// an entry the program adds during the call is either returned or left
    /// in the map, never lost.
    ///
    /// - Throws: `BPFError.notSupported` where the kernel has no such batch
    ///   operation for this map type (before 5.6, or arrays, whose entries
    ///   cannot be deleted).
    public func lookupAndDeleteBatch(batchSize: Int = 4096) throws(BPFError) -> MapEntries {
        try readBatches(BPF_MAP_LOOKUP_AND_DELETE_BATCH, operation: "batch lookup and delete in", batchSize: batchSize)
    }

    /// Every entry, then deleted: `lookupAndDeleteBatch()` where the kernel
    /// has it, else key by key (each key read, then deleted; a key the
    /// program deletes meanwhile is skipped).
    public func takeEntries() throws(BPFError) -> MapEntries {
        do {
            return try lookupAndDeleteBatch()
        } catch .notSupported {
            let entries = try lookupEach()
            for index in 0..<entries.count { _ = try deleteRaw(key: Array(entries.key(at: index))) }
            return entries
        }
    }

    /// Deletes the keys packed back to back in `keys` (`keySize` bytes each)
    /// with BPF_MAP_DELETE_BATCH, one system call for all of them (bcc's
    /// `items_delete_batch(keys)`). A key that is not in the map stops the
    /// call with an error (ENOENT) naming how many were deleted before it.
    ///
    /// - Throws: `BPFError.notSupported` where the kernel has no batch
    ///   delete for this map type.
    public func deleteBatch(keys: [UInt8]) throws(BPFError) {
        let count = try batchCount(keys: keys, operation: "batch delete in")
        guard count > 0 else { return }
        try writeBatch(BPF_MAP_DELETE_BATCH, operation: "batch delete in", keys: keys, values: nil, count: count, flags: .any)
    }

    /// Stores `values[i]` under `keys[i]`, both packed back to back (values
    /// `kernelValueSize()` bytes each: one slot per possible CPU for per-CPU
    /// maps), with BPF_MAP_UPDATE_BATCH (bcc's `items_update_batch`).
    ///
    /// - Throws: `BPFError.notSupported` where the kernel has no batch
    ///   update for this map type; `.invalidArgument` when the lengths do not
    ///   match or there are more keys than the map holds.
    public func updateBatch(keys: [UInt8], values: [UInt8], flags: UpdateFlags = .any) throws(BPFError) {
        let count = try batchCount(keys: keys, operation: "batch update in")
        let stride = try kernelValueSize()
        guard values.count == count * stride else {
            throw .invalidArgument(operation: "batch update in", object: objectName,
                                   detail: "\(count) keys need \(count * stride) bytes of values (\(stride) each), got \(values.count)")
        }
        guard count <= maxEntries else {
            throw .invalidArgument(operation: "batch update in", object: objectName,
                                   detail: "\(count) entries do not fit in the map's \(maxEntries)")
        }
        guard count > 0 else { return }
        try writeBatch(BPF_MAP_UPDATE_BATCH, operation: "batch update in", keys: keys, values: values, count: count, flags: flags)
    }

    /// How many keys `keys` packs; throws unless it is a whole number of them.
    private func batchCount(keys: [UInt8], operation: String) throws(BPFError) -> Int {
        guard keySize > 0 else {
            throw .invalidArgument(operation: operation, object: objectName, detail: "the map has no keys")
        }
        guard keys.count % keySize == 0 else {
            throw .invalidArgument(operation: operation, object: objectName,
                                   detail: "\(keys.count) bytes of keys are not a whole number of \(keySize)-byte keys")
        }
        return keys.count / keySize
    }

    /// BPF_MAP_UPDATE_BATCH or BPF_MAP_DELETE_BATCH over `count` keys (and values).
    private func writeBatch(_ command: bpf_cmd, operation: String, keys: [UInt8], values: [UInt8]?, count: Int,
                            flags: UpdateFlags) throws(BPFError) {
        var attr = bpf_attr()
        let outcome: Result<Void, Errno> = keys.withUnsafeBytes { keyBytes in
            (values ?? []).withUnsafeBytes { valueBytes in
                attr.batch.map_fd = UInt32(bitPattern: fd.rawValue)
                attr.batch.keys = Syscall.address(keyBytes.baseAddress)
                attr.batch.values = values == nil ? 0 : Syscall.address(valueBytes.baseAddress)
                attr.batch.count = UInt32(count)
                attr.batch.elem_flags = flags.rawValue
                return Result { () throws(Errno) in _ = try Syscall.bpf(command, &attr) }
            }
        }
        guard case .failure(let error) = outcome else { return }
        if Map.batchUnsupported(error) {
            throw .notSupported(feature: "\(operation) \(objectName) (BPF_MAP_\(command == BPF_MAP_DELETE_BATCH ? "DELETE" : "UPDATE")_BATCH)",
                                requirement: "Linux 5.6+ and a map type with batch operations")
        }
        let done = Int(attr.batch.count)
        if error.rawValue == ENOENT, command == BPF_MAP_DELETE_BATCH, done < count {
            let key = Array(keys[done * keySize ..< (done + 1) * keySize])
            throw .notFound(what: "key \(Map.hex(key)) in \(objectName) (batch delete stopped there, after \(done) of \(count) keys)")
        }
        throw error.error(operation: "\(operation) (after \(done) of \(count) entries)", object: objectName)
    }

    /// BPF_MAP_LOOKUP_BATCH or BPF_MAP_LOOKUP_AND_DELETE_BATCH until the
    /// kernel says the walk is over.
    private func readBatches(_ command: bpf_cmd, operation: String, batchSize: Int) throws(BPFError) -> MapEntries {
        guard keySize > 0 else {
            throw .invalidArgument(operation: operation, object: objectName, detail: "the map has no keys")
        }
        let stride = try kernelValueSize()
        var entries = MapEntries(keySize: keySize, valueStride: stride)
        // The position is a bucket number (u32) for hash maps and a key for
        // arrays; room for either.
        let tokenSize = max(keySize, 8)
        var inToken = [UInt8](repeating: 0, count: tokenSize)
        var outToken = [UInt8](repeating: 0, count: tokenSize)
        var capacity = max(1, min(batchSize, maxEntries))
        var keyBuffer = [UInt8](repeating: 0, count: capacity * keySize)
        var valueBuffer = [UInt8](repeating: 0, count: capacity * stride)
        var first = true
        while true {
            var attr = bpf_attr()
            let outcome: Result<Void, Errno> = inToken.withUnsafeBytes { inBytes in
                outToken.withUnsafeMutableBytes { outBytes in
                    keyBuffer.withUnsafeMutableBytes { keyBytes in
                        valueBuffer.withUnsafeMutableBytes { valueBytes in
                            attr.batch.map_fd = UInt32(bitPattern: fd.rawValue)
                            attr.batch.in_batch = first ? 0 : Syscall.address(inBytes.baseAddress)
                            attr.batch.out_batch = Syscall.address(outBytes.baseAddress)
                            attr.batch.keys = Syscall.address(keyBytes.baseAddress)
                            attr.batch.values = Syscall.address(valueBytes.baseAddress)
                            attr.batch.count = UInt32(capacity)
                            return Result { () throws(Errno) in _ = try Syscall.bpf(command, &attr) }
                        }
                    }
                }
            }
            // The kernel reports how many entries it copied even when it
            // also says the walk is over (ENOENT).
            let copied = min(Int(attr.batch.count), capacity)
            switch outcome {
            case .success:
                entries.append(keys: keyBuffer, values: valueBuffer, count: copied)
            case .failure(let error) where error.rawValue == ENOENT:
                entries.append(keys: keyBuffer, values: valueBuffer, count: copied)
                return entries
            case .failure(let error) where error.rawValue == ENOSPC && copied == 0:
                // One hash bucket holds more entries than the buffers: grow them.
                guard capacity < Int(UInt32.max) / 2 else { throw error.error(operation: operation, object: objectName) }
                capacity *= 2
                keyBuffer = [UInt8](repeating: 0, count: capacity * keySize)
                valueBuffer = [UInt8](repeating: 0, count: capacity * stride)
                continue
            case .failure(let error) where first && Map.batchUnsupported(error):
                throw .notSupported(feature: "\(operation) \(objectName) (\(command == BPF_MAP_LOOKUP_BATCH ? "BPF_MAP_LOOKUP_BATCH" : "BPF_MAP_LOOKUP_AND_DELETE_BATCH"))",
                                    requirement: "Linux 5.6+ and a map type with batch operations")
            case .failure(let error):
                throw error.error(operation: operation, object: objectName)
            }
            first = false
            swap(&inToken, &outToken)
            // A map that keeps changing cannot keep the walk going forever.
            if entries.count > maxEntries * 2 { return entries }
        }
    }

    /// Every entry, one key at a time: BPF_MAP_GET_NEXT_KEY, then
    /// BPF_MAP_LOOKUP_ELEM for each. Keys deleted between the two are
    /// skipped; the walk stops after `maxEntries` keys so it always ends.
    public func lookupEach() throws(BPFError) -> MapEntries {
        guard keySize > 0 else {
            throw .invalidArgument(operation: "lookup in", object: objectName, detail: "the map has no keys")
        }
        let stride = try kernelValueSize()
        var entries = MapEntries(keySize: keySize, valueStride: stride)
        var current = [UInt8](repeating: 0, count: keySize)
        var next = [UInt8](repeating: 0, count: keySize)
        var value = [UInt8](repeating: 0, count: stride)
        var first = true
        var walked = 0
        while walked < maxEntries {
            var attr = bpf_attr()
            let step: Result<Void, Errno> = current.withUnsafeBytes { currentBytes in
                next.withUnsafeMutableBytes { nextBytes in
                    attr.map_fd = UInt32(bitPattern: fd.rawValue)
                    attr.key = first ? 0 : Syscall.address(currentBytes.baseAddress)
                    attr.next_key = Syscall.address(nextBytes.baseAddress)
                    return Result { () throws(Errno) in _ = try Syscall.bpf(BPF_MAP_GET_NEXT_KEY, &attr) }
                }
            }
            if case .failure(let error) = step {
                if error.rawValue == ENOENT { break }
                throw error.error(operation: "iterate keys of", object: objectName)
            }
            first = false
            walked += 1
            var lookup = bpf_attr()
            let found: Result<Void, Errno> = next.withUnsafeBytes { keyBytes in
                value.withUnsafeMutableBytes { valueBytes in
                    lookup.map_fd = UInt32(bitPattern: fd.rawValue)
                    lookup.key = Syscall.address(keyBytes.baseAddress)
                    lookup.value = Syscall.address(valueBytes.baseAddress)
                    return Result { () throws(Errno) in _ = try Syscall.bpf(BPF_MAP_LOOKUP_ELEM, &lookup) }
                }
            }
            switch found {
            case .success: entries.append(keys: next, values: value, count: 1)
            case .failure(let error) where error.rawValue == ENOENT: break
            case .failure(let error): throw error.error(operation: "lookup in", object: objectName)
            }
            swap(&current, &next)
        }
        return entries
    }

    /// The errnos a kernel answers with when it has no batch lookup for a
    /// map: EINVAL before 5.6 (an unknown command), ENOTSUPP or EOPNOTSUPP
    /// for map types without it.
    private static func batchUnsupported(_ error: Errno) -> Bool {
        [EINVAL, EOPNOTSUPP, BPFError.kernelENOTSUPP].contains(error.rawValue)
    }
}
