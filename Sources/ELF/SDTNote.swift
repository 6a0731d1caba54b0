// MARK: - .note.stapsdt

/// One systemtap SDT note (`NT_STAPSDT` in `.note.stapsdt`): a USDT probe
/// site as the sdt.h macros record it.
public struct SDTNote: Hashable, Sendable {
    /// The provider, e.g. "libc".
    public var provider: String
    /// The probe's name, e.g. "setjmp".
    public var name: String
    /// The virtual address of the probe's nop, adjusted for prelinking.
    public var address: UInt64
    /// The `.stapsdt.base` address the note was written against.
    public var base: UInt64
    /// The virtual address of the probe's semaphore (a 2-byte counter in
    /// `.probes`), adjusted like `address`; nil when the probe has none.
    public var semaphoreAddress: UInt64?
    /// The argument specs, space-separated: "-4@%eax 8@-16(%rbp)".
    public var argumentText: String

    /// Creates a note.
    public init(provider: String, name: String, address: UInt64, base: UInt64, semaphoreAddress: UInt64?, argumentText: String) {
        self.provider = provider
        self.name = name
        self.address = address
        self.base = base
        self.semaphoreAddress = semaphoreAddress
        self.argumentText = argumentText
    }

    /// `NT_STAPSDT`.
    public static let noteType: UInt32 = 3
    /// The notes' owner name.
    public static let owner = "stapsdt"
}

extension ELFSection.Kind {
    /// SHT_NOTE.
    public static let note: UInt32 = 7
}

extension ELFFile {
    /// The USDT notes of this file in `.note.stapsdt` order (empty when it
    /// has none). Addresses are moved by the difference between where
    /// `.stapsdt.base` is now and where the note says it was, which undoes
    /// prelinking, as systemtap does.
    ///
    /// - Throws: `ELFError.malformed` naming the note's offset when a note
    ///   runs past its section or lacks its three strings.
    public func sdtNotes() throws(ELFError) -> [SDTNote] {
        let baseSection = section(named: ".stapsdt.base")
        var result: [SDTNote] = []
        try forEachNote(inSectionsNamed: ".note.stapsdt") { note throws(ELFError) in
            guard note.owner == SDTNote.owner && note.type == SDTNote.noteType else { return true }
            var parsed = try Self.parseNote(ByteReader(note.description), 0, note.description.count, at: note.descriptionOffset)
            if let baseSection, baseSection.address != parsed.base {
                let shift = baseSection.address &- parsed.base
                parsed.address &+= shift
                parsed.semaphoreAddress = parsed.semaphoreAddress.map { $0 &+ shift }
            }
            result.append(parsed)
            return true
        }
        return result
    }

    /// pc, base and semaphore (8 bytes each), then provider, name and arguments as C strings.
    private static func parseNote(_ reader: ByteReader, _ start: Int, _ size: Int, at: Int) throws(ELFError) -> SDTNote {
        let what = "stapsdt note at offset \(at)"
        guard size >= 24 + 3 else {
            throw .malformed(what: what, offset: at, detail: "description of \(size) bytes is too short for 3 addresses and 3 strings")
        }
        let address = try reader.u64(start, what)
        let base = try reader.u64(start + 8, what)
        let semaphore = try reader.u64(start + 16, what)
        var cursor = start + 24
        var strings: [String] = []
        for label in ["provider", "name", "arguments"] {
            guard cursor < start + size else {
                throw .malformed(what: what, offset: at, detail: "the \(label) string is missing")
            }
            guard let nul = reader.bytes[cursor..<(start + size)].firstIndex(of: 0) else {
                throw .malformed(what: what, offset: at, detail: "the \(label) string is not NUL-terminated")
            }
            strings.append(String(decoding: reader.bytes[cursor..<nul], as: UTF8.self))
            cursor = nul + 1
        }
        guard !strings[0].isEmpty, !strings[1].isEmpty else {
            throw .malformed(what: what, offset: at, detail: "the provider or the probe name is empty")
        }
        return SDTNote(provider: strings[0], name: strings[1], address: address, base: base,
                       semaphoreAddress: semaphore == 0 ? nil : semaphore, argumentText: strings[2])
    }
}
