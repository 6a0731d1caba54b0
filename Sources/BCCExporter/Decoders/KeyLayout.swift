/// How a table key (or ring record) splits into labels: each label's bytes
/// at its offset, through its decoder chain.
public struct KeyLayout: Sendable {
    /// The labels, in key order.
    public let labels: [LabelSpec]
    /// The label names, in key order.
    public let names: [String]
    /// Bytes the labels cover, paddings included.
    public let size: Int
    private let offsets: [Int]
    private let chains: [LabelDecoderChain]

    /// The layout of `labels`; `system` answers the decoders' lookups.
    public init(labels: [LabelSpec], system: DecoderSystem) {
        self.labels = labels
        names = labels.map(\.name)
        var offset = 0
        var offsets: [Int] = []
        for label in labels {
            offsets.append(offset)
            offset += label.size + label.padding
        }
        self.offsets = offsets
        size = offset
        chains = labels.map { LabelDecoderChain($0.decoders, system: system) }
    }

    /// The label values of `key` (at least `size` bytes), or nil when a
    /// decoder says to skip it (a `regexp` that matched nothing).
    public func decode(_ key: ArraySlice<UInt8>) throws(LabelDecodeError) -> [String]? {
        guard key.count >= size else {
            throw LabelDecodeError(decoder: "labels", detail: "the key has \(key.count) bytes, the labels need \(size)")
        }
        var values: [String] = []
        values.reserveCapacity(labels.count)
        for (index, label) in labels.enumerated() {
            let start = key.startIndex + offsets[index]
            guard let value = try chains[index].decode(key[start ..< start + label.size]) else { return nil }
            values.append(value)
        }
        return values
    }
}
