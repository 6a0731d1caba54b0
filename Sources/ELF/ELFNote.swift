// ELF notes (SHT_NOTE sections): owner, type and description, as the SDT
// notes and the GNU build id are stored.

/// One note of a note section.
public struct ELFNote: Hashable, Sendable {
    /// The owner name, e.g. "GNU" or "stapsdt".
    public var owner: String
    /// The note's type (its meaning depends on the owner).
    public var type: UInt32
    /// Where the description starts in the file.
    public var descriptionOffset: Int
    /// The description's bytes.
    public var description: [UInt8]
}

extension ELFFile {
    /// Hands each note of the note sections named `name` (every note section
    /// when nil) to `body` in file order, until it returns false: a note is
    /// read only once the ones before it were handled.
    ///
    /// - Throws: `ELFError.malformed` naming the note's offset when a note
    ///   runs past its section, or what `body` throws.
    func forEachNote(inSectionsNamed name: String? = nil, _ body: (ELFNote) throws(ELFError) -> Bool) throws(ELFError) {
        for section in sections where section.type == ELFSection.Kind.note && (name == nil || section.name == name) {
            let bytes = Array(try contents(of: section))
            let reader = ByteReader(bytes)
            var offset = 0
            while offset < bytes.count {
                let at = section.offset + offset
                let nameSize = Int(try reader.u32(offset, "size of the name of the note at offset \(at)"))
                let descriptionSize = Int(try reader.u32(offset + 4, "size of the note at offset \(at)"))
                let type = try reader.u32(offset + 8, "type of the note at offset \(at)")
                let nameStart = offset + 12
                let descriptionStart = try Self.aligned4(nameStart, plus: nameSize, at: at)
                let next = try Self.aligned4(descriptionStart, plus: descriptionSize, at: at)
                try reader.check("note at offset \(at) in \(section.name)", offset: nameStart, length: next - nameStart)
                let owner = String(decoding: bytes[nameStart..<(nameStart + nameSize)].prefix { $0 != 0 }, as: UTF8.self)
                let note = ELFNote(owner: owner, type: type, descriptionOffset: section.offset + descriptionStart,
                                   description: Array(bytes[descriptionStart..<(descriptionStart + descriptionSize)]))
                guard try body(note) else { return }
                offset = next
            }
        }
    }

    /// The GNU build id (`NT_GNU_BUILD_ID`, what `readelf -n` prints as
    /// "Build ID"), or nil when the file has none.
    public func buildID() throws(ELFError) -> [UInt8]? {
        var buildID: [UInt8]?
        try forEachNote { note throws(ELFError) in
            if note.owner == "GNU" && note.type == 3 { buildID = note.description }
            return buildID == nil
        }
        return buildID
    }

    /// `start + length` rounded up to 4, checked for overflow.
    static func aligned4(_ start: Int, plus length: Int, at: Int) throws(ELFError) -> Int {
        let (end, overflow) = start.addingReportingOverflow(length)
        guard !overflow, end <= Int(Int32.max) else {
            throw .malformed(what: "note at offset \(at)", offset: at, detail: "size \(length) is too large")
        }
        return (end + 3) & ~3
    }
}
