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
        guard keySize > 0 else {
            throw .invalidArgument(operation: "batch lookup in", object: objectName, detail: "the map has no keys")
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
                            return Result { () throws(Errno) in _ = try Syscall.bpf(BPF_MAP_LOOKUP_BATCH, &attr) }
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
                guard capacity < Int(UInt32.max) / 2 else { throw error.error(operation: "batch lookup in", object: objectName) }
                capacity *= 2
                keyBuffer = [UInt8](repeating: 0, count: capacity * keySize)
                valueBuffer = [UInt8](repeating: 0, count: capacity * stride)
                continue
            case .failure(let error) where first && Map.batchUnsupported(error):
                throw .notSupported(feature: "batch lookup (BPF_MAP_LOOKUP_BATCH) in \(objectName)",
                                    requirement: "Linux 5.6+ and a map type with batch operations")
            case .failure(let error):
                throw error.error(operation: "batch lookup in", object: objectName)
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
