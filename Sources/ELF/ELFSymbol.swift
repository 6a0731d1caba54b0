// MARK: - ELFSymbol

/// One symbol table entry (`Elf64_Sym`) with its resolved name.
public struct ELFSymbol: Hashable, Sendable {
    /// Index in its symbol table (relocations refer to symbols by this index).
    public var index: Int
    /// Name from the table's string table; for `.dynsym` the bare name without a version.
    public var name: String
    /// `st_value`: an address in executables and shared objects, an offset into
    /// the section in relocatable objects.
    public var value: UInt64
    /// `st_size`.
    public var size: UInt64
    /// Low 4 bits of `st_info`: see the `ELFSymbol.Kind` constants.
    public var type: UInt8
    /// High 4 bits of `st_info`: see the `ELFSymbol.Binding` constants.
    public var binding: UInt8
    /// Low 2 bits of `st_other`: 0 default, 2 hidden.
    public var visibility: UInt8
    /// `st_shndx`: the section the symbol is defined in, 0 if undefined.
    public var sectionIndex: Int
    /// GNU symbol version (from `.gnu.version`), e.g. "GLIBC_2.2.5", for `.dynsym` entries.
    public var version: String?
    /// True when `version` is the default one ("name@@VERSION" rather than "name@VERSION").
    public var isDefaultVersion: Bool

    /// True when the symbol is defined in this file.
    public var isDefined: Bool { sectionIndex != 0 }

    /// The name with its version: "malloc@@GLIBC_2.2.5", or `name` when unversioned.
    public var versionedName: String {
        guard let version else { return name }
        return name + (isDefaultVersion ? "@@" : "@") + version
    }

    /// Symbol types (`ELF64_ST_TYPE`).
    public enum Kind {
        /// STT_NOTYPE.
        public static let none: UInt8 = 0
        /// STT_OBJECT.
        public static let object: UInt8 = 1
        /// STT_FUNC.
        public static let function: UInt8 = 2
        /// STT_SECTION.
        public static let section: UInt8 = 3
        /// STT_FILE.
        public static let file: UInt8 = 4
        /// STT_GNU_IFUNC: an indirect function resolved at load time.
        public static let indirectFunction: UInt8 = 10
    }

    /// Symbol bindings (`ELF64_ST_BIND`).
    public enum Binding {
        /// STB_LOCAL.
        public static let local: UInt8 = 0
        /// STB_GLOBAL.
        public static let global: UInt8 = 1
        /// STB_WEAK.
        public static let weak: UInt8 = 2
    }

    /// Special section indexes.
    public enum SpecialSection {
        /// SHN_UNDEF.
        public static let undefined = 0
        /// SHN_ABS: the value is absolute, not relative to a section.
        public static let absolute = 0xfff1
        /// SHN_COMMON.
        public static let common = 0xfff2
        /// SHN_XINDEX: the real index is in `.symtab_shndx`.
        public static let extended = 0xffff
    }
}

// MARK: - Reading symbol tables

extension ELFFile {
    /// The symbols of `.symtab` (empty when the file is stripped).
    public func symbols() throws(ELFError) -> [ELFSymbol] {
        guard let table = sections.first(where: { $0.type == ELFSection.Kind.symbolTable }) else { return [] }
        return try symbols(in: table)
    }

    /// The symbols of `.dynsym`, with GNU versions attached (empty when absent).
    public func dynamicSymbols() throws(ELFError) -> [ELFSymbol] {
        guard let table = sections.first(where: { $0.type == ELFSection.Kind.dynamicSymbolTable }) else { return [] }
        var result = try symbols(in: table)
        try attachVersions(to: &result, symbolTable: table)
        return result
    }

    /// Decodes every entry of symbol table `table` (entry 0, the null symbol, included).
    public func symbols(in table: ELFSection) throws(ELFError) -> [ELFSymbol] {
        let what = "symbol table '\(table.name)'"
        guard table.type == ELFSection.Kind.symbolTable || table.type == ELFSection.Kind.dynamicSymbolTable else {
            throw .malformed(what: what, offset: table.offset, detail: "section type \(table.type) is not a symbol table")
        }
        let entrySize = table.entrySize == 0 ? 24 : table.entrySize
        guard entrySize >= 24 else {
            throw .malformed(what: what, offset: table.offset, detail: "entry size \(entrySize) is smaller than 24")
        }
        let data = try contents(of: table)
        let base = data.startIndex
        let count = data.count / entrySize
        let strings = try section(at: Int(table.link), referencedBy: "sh_link of \(what)")
        let stringBytes = try contents(of: strings)
        var result: [ELFSymbol] = []
        result.reserveCapacity(count)
        for i in 0..<count {
            let at = base + i * entrySize
            let nameOffset = Int(try reader.u32(at, what))
            let info = try reader.u8(at + 4, what)
            let other = try reader.u8(at + 5, what)
            let shndx = Int(try reader.u16(at + 6, what))
            let name: String
            if nameOffset == 0 {
                name = ""
            } else {
                guard nameOffset < stringBytes.count else {
                    throw .malformed(what: "name of symbol \(i) in \(what)", offset: at,
                                     detail: "string offset \(nameOffset) is outside '\(strings.name)' (\(stringBytes.count) bytes)")
                }
                name = try reader.cString(stringBytes.startIndex + nameOffset, limit: stringBytes.endIndex,
                                          "name of symbol \(i) in \(what)")
            }
            result.append(ELFSymbol(
                index: i, name: name, value: try reader.u64(at + 8, what), size: try reader.u64(at + 16, what),
                type: info & 0x0f, binding: info >> 4, visibility: other & 0x03,
                sectionIndex: shndx, version: nil, isDefaultVersion: false))
        }
        return result
    }
}
