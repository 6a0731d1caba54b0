import Glibc

// MARK: - ELFFile

/// A parsed 64-bit little-endian ELF file: header, sections and segments.
///
/// Parsing reads only the headers; symbol tables, relocations and section
/// contents are decoded on request. Every read is bounds-checked and a
/// malformed file produces an `ELFError`, never a trap.
public struct ELFFile: Sendable {
    /// Where the bytes came from, for error messages ("<memory>" when given bytes).
    public let path: String
    /// `e_type`: 1 relocatable, 2 executable, 3 shared object or PIE.
    public let fileType: UInt16
    /// `e_machine`: 62 x86-64, 183 AArch64, 247 BPF.
    public let machine: UInt16
    /// `e_entry`.
    public let entry: UInt64
    /// The section headers, in table order (index 0 is the null section).
    public let sections: [ELFSection]
    /// The program headers (empty for relocatable objects).
    public let programHeaders: [ELFProgramHeader]

    let reader: ByteReader

    /// `ET_REL`.
    public static let relocatable: UInt16 = 1
    /// `ET_EXEC`.
    public static let executable: UInt16 = 2
    /// `ET_DYN`.
    public static let sharedObject: UInt16 = 3
    /// `EM_BPF`.
    public static let machineBPF: UInt16 = 247

    /// The raw bytes of the file.
    public var bytes: [UInt8] { reader.bytes }

    /// Reads and parses the file at `path`.
    public init(contentsOf path: String) throws(ELFError) {
        guard let bytes = Self.readFile(path) else {
            throw .unreadable(path: path, detail: "no such file, or not readable")
        }
        try self.init(bytes: bytes, path: path)
    }

    /// The whole file at `path` (its size from fstat: ELF files are regular
    /// files), or nil when it cannot be read.
    private static func readFile(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + done, $0.count - done) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            done += count
        }
        return bytes
    }

    /// Parses `bytes` as an ELF file; `path` only labels errors.
    public init(bytes: [UInt8], path: String = "<memory>") throws(ELFError) {
        let r = ByteReader(bytes)
        self.path = path
        self.reader = r
        try r.check("ELF header", offset: 0, length: 64)
        guard bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46 else {
            throw .malformed(what: "ELF header", offset: 0, detail: "bad magic, not an ELF file")
        }
        guard bytes[4] == 2 else { throw .unsupported(detail: "ELF class \(bytes[4]), only 64-bit (2) is supported") }
        guard bytes[5] == 1 else { throw .unsupported(detail: "data encoding \(bytes[5]), only little-endian (1) is supported") }
        fileType = try r.u16(16, "e_type")
        machine = try r.u16(18, "e_machine")
        entry = try r.u64(24, "e_entry")
        let phoff = try fileInt(r.u64(32, "e_phoff"), "e_phoff", at: 32)
        let shoff = try fileInt(r.u64(40, "e_shoff"), "e_shoff", at: 40)
        let phentsize = Int(try r.u16(54, "e_phentsize"))
        var phnum = Int(try r.u16(56, "e_phnum"))
        let shentsize = Int(try r.u16(58, "e_shentsize"))
        var shnum = Int(try r.u16(60, "e_shnum"))
        var shstrndx = Int(try r.u16(62, "e_shstrndx"))

        // Section headers. Counts that overflow 16 bits live in section 0 (extended numbering).
        var raw: [ELFSection] = []
        if shoff != 0 {
            guard shentsize >= 64 else {
                throw .malformed(what: "ELF header", offset: 58, detail: "e_shentsize \(shentsize) is smaller than 64")
            }
            if shnum == 0 || shstrndx == 0xffff || phnum == 0xffff {
                let zero = try Self.sectionHeader(r, at: shoff, index: 0)
                if shnum == 0 { shnum = zero.size }
                if shstrndx == 0xffff { shstrndx = Int(zero.link) }
                if phnum == 0xffff { phnum = Int(zero.info) }
            }
            try r.check("section header table (\(shnum) entries)", offset: shoff,
                        length: shnum.multipliedReportingOverflow(by: shentsize).overflow ? Int.max : shnum * shentsize)
            raw.reserveCapacity(shnum)
            for index in 0..<shnum {
                raw.append(try Self.sectionHeader(r, at: shoff + index * shentsize, index: index))
            }
        }
        if !raw.isEmpty {
            guard shstrndx < raw.count else {
                throw .malformed(what: "ELF header", offset: 62, detail: "e_shstrndx \(shstrndx) is not below the section count \(raw.count)")
            }
            let names = raw[shstrndx]
            guard !names.isNoBits else {
                throw .malformed(what: "section name table", offset: shoff + shstrndx * shentsize, detail: "has no contents (SHT_NOBITS)")
            }
            try r.check("section name table", offset: names.offset, length: names.size)
            for i in raw.indices where i != 0 {
                let nameOffset = try Int(r.u32(shoff + i * shentsize, "sh_name"))
                raw[i].name = try r.cString(names.offset + nameOffset, limit: names.offset + names.size,
                                            "name of section \(i)")
            }
        }
        sections = raw

        var segments: [ELFProgramHeader] = []
        if phoff != 0 && phnum > 0 {
            guard phentsize >= 56 else {
                throw .malformed(what: "ELF header", offset: 54, detail: "e_phentsize \(phentsize) is smaller than 56")
            }
            try r.check("program header table (\(phnum) entries)", offset: phoff, length: phnum * phentsize)
            for i in 0..<phnum {
                let at = phoff + i * phentsize
                segments.append(ELFProgramHeader(
                    type: try r.u32(at, "p_type"), flags: try r.u32(at + 4, "p_flags"),
                    offset: try r.u64(at + 8, "p_offset"), virtualAddress: try r.u64(at + 16, "p_vaddr"),
                    fileSize: try r.u64(at + 32, "p_filesz"), memorySize: try r.u64(at + 40, "p_memsz"),
                    alignment: try r.u64(at + 48, "p_align")))
            }
        }
        programHeaders = segments
    }

    private static func sectionHeader(_ r: ByteReader, at: Int, index: Int) throws(ELFError) -> ELFSection {
        let what = "section header \(index)"
        try r.check(what, offset: at, length: 64)
        return ELFSection(
            index: index, name: "",
            type: try r.u32(at + 4, what), flags: try r.u64(at + 8, what),
            address: try r.u64(at + 16, what),
            offset: try fileInt(r.u64(at + 24, what), "sh_offset of \(what)", at: at + 24),
            size: try fileInt(r.u64(at + 32, what), "sh_size of \(what)", at: at + 32),
            link: try r.u32(at + 40, what), info: try r.u32(at + 44, what),
            alignment: try r.u64(at + 48, what),
            entrySize: try fileInt(r.u64(at + 56, what), "sh_entsize of \(what)", at: at + 56))
    }

    // MARK: Sections

    /// The first section called `name`, if any.
    public func section(named name: String) -> ELFSection? {
        sections.first { $0.name == name }
    }

    /// The section at `index`, or an error naming the referrer when out of range.
    public func section(at index: Int, referencedBy what: @autoclosure () -> String) throws(ELFError) -> ELFSection {
        guard index >= 0, index < sections.count else {
            throw .malformed(what: what(), offset: 0, detail: "section index \(index) is out of range (\(sections.count) sections)")
        }
        return sections[index]
    }

    /// The bytes of `section` (empty for `SHT_NOBITS`), checked against the file size.
    public func contents(of section: ELFSection) throws(ELFError) -> ArraySlice<UInt8> {
        if section.isNoBits { return [] }
        return try reader.slice(section.offset, section.size, "contents of section \(section.index) '\(section.name)'")
    }

    /// The NUL-terminated string at `offset` in string table section `index`.
    public func string(inTable index: Int, at offset: Int) throws(ELFError) -> String {
        let table = try section(at: index, referencedBy: "string table reference")
        guard table.type == ELFSection.Kind.stringTable else {
            throw .malformed(what: "string table reference", offset: table.offset,
                             detail: "section \(index) '\(table.name)' is not a string table")
        }
        try reader.check("string table '\(table.name)'", offset: table.offset, length: table.size)
        guard offset >= 0, offset < table.size else {
            throw .malformed(what: "string table '\(table.name)'", offset: table.offset,
                             detail: "string offset \(offset) is outside the table (\(table.size) bytes)")
        }
        return try reader.cString(table.offset + offset, limit: table.offset + table.size,
                                  "string in '\(table.name)'")
    }
}
