// MARK: - Per-CPU values

extension Map {
    /// The values stored under `key`, one per possible CPU (each `valueSize`
    /// bytes), or nil if there is none. Only for per-CPU maps.
    public func lookupPerCPU(key: [UInt8]) throws(BPFError) -> [[UInt8]]? {
        try requirePerCPU("lookup in")
        try checkKey(key, operation: "lookup in")
        var buffer = [UInt8](repeating: 0, count: try kernelValueSize())
        guard try lookupRaw(key: key, into: &buffer) else { return nil }
        let slot = perCPUSlotSize
        return stride(from: 0, to: buffer.count, by: slot).map { Array(buffer[$0 ..< $0 + valueSize]) }
    }

    /// Stores one value per possible CPU under `key`: `values.count` must be
    /// `PossibleCPUs.count()` and each value `valueSize` bytes.
    public func updatePerCPU(key: [UInt8], values: [[UInt8]], flags: UpdateFlags = .any) throws(BPFError) {
        try requirePerCPU("update")
        try checkKey(key, operation: "update")
        let cpus = try PossibleCPUs.count()
        guard values.count == cpus else {
            throw BPFError.invalidArgument(operation: "update", object: objectName,
                                           detail: "\(values.count) per-CPU values given, the system has \(cpus) possible CPUs")
        }
        let slot = perCPUSlotSize
        var buffer = [UInt8](repeating: 0, count: cpus * slot)
        for (cpu, value) in values.enumerated() {
            guard value.count == valueSize else {
                throw BPFError.invalidArgument(operation: "update", object: objectName,
                                               detail: "the value for CPU \(cpu) is \(value.count) bytes, the map's values are \(valueSize) bytes")
            }
            buffer.replaceSubrange(cpu * slot ..< cpu * slot + valueSize, with: value)
        }
        try updateRaw(key: key, value: buffer, flags: flags)
    }

    private func requirePerCPU(_ operation: String) throws(BPFError) {
        guard type.isPerCPU else {
            throw BPFError.invalidArgument(operation: operation, object: objectName,
                                           detail: "the map is not per-CPU; use lookup / update")
        }
    }
}
