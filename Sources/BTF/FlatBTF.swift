/// ID-indexed arrays of everything the C writers read (base and split
/// types together), so the hot loops of header emission index plain arrays
/// instead of finding each type's owning blob.
struct FlatBTF: Sendable {
    /// One record per ID; index 0 is void (all zero).
    let records: [BTFRawType]
    let words: [UInt32]
    /// The string sections, base first, so a string offset is an index
    /// from `stringStart`.
    let strings: [UInt8]
    let stringStart: Int
    let stringLength: Int
    let sizes: [UInt64]
    let alignments: [UInt8]

    init(_ btf: BTF) {
        var chain: [BTFStorage] = []
        var next: BTFStorage? = btf.storage
        while let storage = next {
            chain.insert(storage, at: 0)
            next = storage.base?.storage
        }
        let void = BTFRawType(nameOffset: 0, info: 0, sizeOrType: 0, byteOffset: 0, wordIndex: 0)
        if chain.count == 1 {
            let storage = chain[0]
            records = [void] + storage.records
            words = storage.words
            strings = storage.bytes
            stringStart = storage.header.stringSectionOffset
            stringLength = storage.header.stringSectionLength
            sizes = [BTFStorage.unsized] + storage.sizes
            alignments = [0] + storage.alignments
            return
        }
        var records = [void], words: [UInt32] = [], strings: [UInt8] = [], sizes = [BTFStorage.unsized], alignments: [UInt8] = [0]
        for storage in chain {
            let wordBase = words.count
            records += storage.records.map { record in
                var rebased = record
                rebased = BTFRawType(
                    nameOffset: record.nameOffset, info: record.info, sizeOrType: record.sizeOrType,
                    byteOffset: record.byteOffset, wordIndex: record.wordIndex + wordBase)
                return rebased
            }
            words += storage.words
            let start = storage.header.stringSectionOffset
            strings += storage.bytes[start..<start + storage.header.stringSectionLength]
            sizes += storage.sizes
            alignments += storage.alignments
        }
        self.records = records
        self.words = words
        self.strings = strings
        self.stringStart = 0
        self.stringLength = strings.count
        self.sizes = sizes
        self.alignments = alignments
    }

    @inline(__always) func record(_ id: UInt32) -> BTFRawType { records[Int(id)] }
    @inline(__always) func kind(_ id: UInt32) -> BTFKind { records[Int(id)].kind }
    @inline(__always) func word(_ id: UInt32, _ n: Int) -> UInt32 { words[records[Int(id)].wordIndex + 3 + n] }

    /// The size of `id` in bytes, 0 when unsized.
    @inline(__always) func size(_ id: UInt32) -> Int {
        let size = sizes[Int(id)]
        return size == BTFStorage.unsized ? 0 : Int(size)
    }

    /// The alignment of `id` (0 when it has none).
    @inline(__always) func alignment(_ id: UInt32) -> Int { Int(alignments[Int(id)]) }

    /// True when the string at `offset` is empty or out of range.
    @inline(__always) func stringIsEmpty(_ offset: UInt32) -> Bool {
        Int(offset) >= stringLength || strings[stringStart + Int(offset)] == 0
    }

    /// The byte range of the string at `offset` (empty when out of range).
    @inline(__always) func stringRange(_ offset: UInt32) -> Range<Int> {
        guard Int(offset) < stringLength else { return 0..<0 }
        let start = stringStart + Int(offset)
        var end = start
        // String sections end with NUL (checked at decode).
        while strings[end] != 0 { end += 1 }
        return start..<end
    }

    /// True when the string at `offset` is `text`.
    func string(_ offset: UInt32, equals text: StaticString) -> Bool {
        let range = stringRange(offset)
        return text.withUTF8Buffer { strings[range].elementsEqual($0) }
    }

    /// A key for the name at `offset`: its FNV-1a hash and length. Names
    /// compare by content (BTF string sections need not be deduplicated).
    func nameKey(_ offset: UInt32) -> NameKey {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        let range = stringRange(offset)
        for index in range { hash = (hash ^ UInt64(strings[index])) &* 0x0000_0100_0000_01b3 }
        return NameKey(hash: hash, count: range.count)
    }
}

/// A name's identity for duplicate counting: a 64-bit content hash and the
/// length (a collision would only rename a type, never change a layout).
struct NameKey: Hashable {
    let hash: UInt64
    let count: Int
}
