/// Turns a blob into `BTFStorage`, validating everything the queries and
/// the C emitter rely on: bounds, kinds, IDs, string offsets, and the
/// absence of cycles C cannot express.
struct BTFDecoder {
    let bytes: [UInt8]
    let base: BTF?

    /// The deepest declarator nesting accepted (pointer-to-function-
    /// returning-array chains and anonymous types inside each other). Real
    /// kernels stay under 20; the limit keeps recursive printing bounded.
    static let maximumNesting = 512

    init(bytes: [UInt8], base: BTF?) {
        self.bytes = bytes
        self.base = base
    }

    func decode() throws(BTFError) -> BTFStorage {
        let header = try decodeHeader()
        let firstID = base.map { UInt32($0.typeCount) } ?? 1
        let stringBase = base.map { UInt32($0.storage.stringBase) + UInt32($0.header.stringSectionLength) } ?? 0
        try validateStrings(header)
        let words = typeWords(header)
        let records = try scanRecords(header, words: words, firstID: firstID)
        let typeCount = UInt64(firstID) + UInt64(records.count)
        guard typeCount <= UInt64(UInt32.max) else {
            throw .badHeader("more than 2^32 types")
        }
        let stringLimit = UInt64(stringBase) + UInt64(header.stringSectionLength)
        var layout = Layout(
            records: records, words: words, firstID: firstID, typeCount: UInt32(typeCount), stringLimit: stringLimit,
            base: base)
        try layout.validateReferences()
        try layout.computeLayouts()
        try layout.checkDeclaratorGraph(bytes: bytes, header: header, stringBase: stringBase)
        return BTFStorage(
            bytes: bytes, header: header, base: base, firstID: firstID, stringBase: stringBase, words: words,
            records: records, sizes: layout.sizes, alignments: layout.alignments)
    }

    // MARK: - Header and sections

    private func decodeHeader() throws(BTFError) -> BTFHeader {
        guard bytes.count >= 24 else {
            throw .truncated(what: "header", offset: 0, needed: 24, available: bytes.count)
        }
        let magic = UInt16(bytes[0]) | UInt16(bytes[1]) << 8
        let swapped: Bool
        switch magic {
        case BTFHeader.magic: swapped = false
        case BTFHeader.magic.byteSwapped: swapped = true
        default: throw .badMagic(found: magic)
        }
        guard bytes[2] == 1 else { throw .unsupportedVersion(bytes[2]) }
        func field(_ offset: Int) -> Int {
            let raw = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                | UInt32(bytes[offset + 3]) << 24
            return Int(swapped ? raw.byteSwapped : raw)
        }
        let headerLength = field(4)
        guard headerLength >= 24 else { throw .badHeader("hdr_len \(headerLength) is shorter than 24 bytes") }
        guard headerLength <= bytes.count else {
            throw .truncated(what: "header (hdr_len \(headerLength))", offset: 0, needed: headerLength, available: bytes.count)
        }
        let typeOffset = field(8), typeLength = field(12), stringOffset = field(16), stringLength = field(20)
        let dataLength = bytes.count - headerLength
        guard typeOffset + typeLength <= dataLength else {
            throw .truncated(
                what: "type section (type_off \(typeOffset), type_len \(typeLength))",
                offset: headerLength + typeOffset, needed: typeLength, available: bytes.count)
        }
        guard stringOffset + stringLength <= dataLength else {
            throw .truncated(
                what: "string section (str_off \(stringOffset), str_len \(stringLength))",
                offset: headerLength + stringOffset, needed: stringLength, available: bytes.count)
        }
        guard typeOffset % 4 == 0, typeLength % 4 == 0 else {
            throw .badHeader("type section (type_off \(typeOffset), type_len \(typeLength)) is not 4-byte aligned")
        }
        guard typeOffset + typeLength <= stringOffset || stringOffset + stringLength <= typeOffset else {
            throw .badHeader("type and string sections overlap")
        }
        return BTFHeader(
            version: 1, flags: bytes[3], headerLength: headerLength, typeSectionOffset: headerLength + typeOffset,
            typeSectionLength: typeLength, stringSectionOffset: headerLength + stringOffset,
            stringSectionLength: stringLength, isByteSwapped: swapped)
    }

    private func validateStrings(_ header: BTFHeader) throws(BTFError) {
        let start = header.stringSectionOffset, length = header.stringSectionLength
        if base == nil {
            guard length > 0 else { throw .badStrings("empty (base BTF needs at least the empty name)") }
            guard bytes[start] == 0 else { throw .badStrings("does not start with the empty name (a NUL byte)") }
        }
        if length > 0, bytes[start + length - 1] != 0 {
            throw .badStrings("last string at offset \(start + length - 1) is not NUL-terminated")
        }
    }

    private func typeWords(_ header: BTFHeader) -> [UInt32] {
        let count = header.typeSectionLength / 4
        return [UInt32](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: raw[header.typeSectionOffset..<header.typeSectionOffset + count * 4]))
            }
            if header.isByteSwapped {
                for i in 0..<count { buffer[i] = buffer[i].byteSwapped }
            }
            initialized = count
        }
    }

    /// Splits the type section into records, checking each kind and length.
    private func scanRecords(_ header: BTFHeader, words: [UInt32], firstID: UInt32) throws(BTFError) -> [BTFRawType] {
        var records: [BTFRawType] = []
        records.reserveCapacity(words.count / 4)
        var index = 0
        while index < words.count {
            let id = firstID &+ UInt32(records.count)
            let byteOffset = header.typeSectionOffset + index * 4
            guard index + 3 <= words.count else {
                throw .truncated(
                    what: "type [\(id)] record", offset: byteOffset, needed: 12,
                    available: header.typeSectionOffset + header.typeSectionLength)
            }
            let info = words[index + 1]
            let rawKind = UInt8((info >> 24) & 0x1f)
            guard let kind = BTFKind(rawValue: rawKind), kind != .void else {
                throw .badType(id: id, offset: byteOffset, problem: "unknown kind \(rawKind)")
            }
            let record = BTFRawType(
                nameOffset: words[index], info: info, sizeOrType: words[index + 2], byteOffset: byteOffset,
                wordIndex: index)
            let length = record.byteLength / 4
            guard index + length <= words.count else {
                throw .truncated(
                    what: "type [\(id)] \(kind) with vlen \(record.vlen)", offset: byteOffset, needed: length * 4,
                    available: header.typeSectionOffset + header.typeSectionLength)
            }
            records.append(record)
            index += length
        }
        return records
    }
}
