import Synchronization

/// The decoded form of one BTF blob, shared by copies of a `BTF` value.
/// Everything is computed at decode time except the name index, which is
/// built on first use.
final class BTFStorage: Sendable {
    /// The original blob.
    let bytes: [UInt8]
    let header: BTFHeader
    /// The base BTF for split BTF (kernel modules), else nil.
    let base: BTF?
    /// The ID of this blob's first type (1, or the base's type count).
    let firstID: UInt32
    /// The total number of IDs, void and base types included.
    let typeCount: UInt32
    /// String offsets below this refer to the base's strings.
    let stringBase: UInt32
    /// The type section as host-order words.
    let words: [UInt32]
    /// One record per own type, in ID order.
    let records: [BTFRawType]
    /// Resolved size per own type; `unsized` for void, functions,
    /// prototypes, forward declarations and tags.
    let sizes: [UInt64]
    /// Alignment per own type as libbpf computes it (0 when unknown).
    let alignments: [UInt8]
    /// Name -> IDs, built on first lookup.
    let nameIndex = Mutex<[String: [BTFTypeID]]?>(nil)
    /// The ID-indexed view the C writers use, built on first use.
    let flat = Mutex<FlatBTF?>(nil)

    static let unsized = UInt64.max

    init(
        bytes: [UInt8], header: BTFHeader, base: BTF?, firstID: UInt32, stringBase: UInt32, words: [UInt32],
        records: [BTFRawType], sizes: [UInt64], alignments: [UInt8]
    ) {
        self.bytes = bytes
        self.header = header
        self.base = base
        self.firstID = firstID
        self.typeCount = firstID + UInt32(records.count)
        self.stringBase = stringBase
        self.words = words
        self.records = records
        self.sizes = sizes
        self.alignments = alignments
    }
}
