// MARK: - ELFSection

/// One section header (`Elf64_Shdr`) with its resolved name.
public struct ELFSection: Hashable, Sendable {
    /// Index in the section header table.
    public var index: Int
    /// Name from the section header string table.
    public var name: String
    /// `sh_type`: see the `ELFSection.Kind` constants.
    public var type: UInt32
    /// `sh_flags`: see the `ELFSection.Flags` constants.
    public var flags: UInt64
    /// `sh_addr`: virtual address when loaded, 0 in relocatable objects.
    public var address: UInt64
    /// `sh_offset`: where the contents start in the file.
    public var offset: Int
    /// `sh_size`: size of the contents (in memory, for `SHT_NOBITS`).
    public var size: Int
    /// `sh_link`: a related section (string table of a symbol table, symbol table of relocations).
    public var link: UInt32
    /// `sh_info`: extra information (the section a relocation section applies to).
    public var info: UInt32
    /// `sh_addralign`.
    public var alignment: UInt64
    /// `sh_entsize`: size of one entry for tables.
    public var entrySize: Int

    /// True for sections with no bytes in the file (`SHT_NOBITS`, e.g. `.bss`).
    public var isNoBits: Bool { type == Kind.noBits }

    /// True for sections that hold machine code (`SHF_EXECINSTR`).
    public var isExecutable: Bool { flags & Flags.executable != 0 }

    /// Section types (`sh_type`) this reader distinguishes.
    public enum Kind {
        /// SHT_NULL.
        public static let null: UInt32 = 0
        /// SHT_PROGBITS.
        public static let progBits: UInt32 = 1
        /// SHT_SYMTAB.
        public static let symbolTable: UInt32 = 2
        /// SHT_STRTAB.
        public static let stringTable: UInt32 = 3
        /// SHT_RELA.
        public static let relocationsWithAddends: UInt32 = 4
        /// SHT_DYNAMIC.
        public static let dynamic: UInt32 = 6
        /// SHT_NOBITS.
        public static let noBits: UInt32 = 8
        /// SHT_REL.
        public static let relocations: UInt32 = 9
        /// SHT_DYNSYM.
        public static let dynamicSymbolTable: UInt32 = 11
        /// SHT_GNU_verdef (.gnu.version_d).
        public static let gnuVersionDefinitions: UInt32 = 0x6fff_fffd
        /// SHT_GNU_verneed (.gnu.version_r).
        public static let gnuVersionNeeds: UInt32 = 0x6fff_fffe
        /// SHT_GNU_versym (.gnu.version).
        public static let gnuVersionSymbols: UInt32 = 0x6fff_ffff
    }

    /// Section flags (`sh_flags`).
    public enum Flags {
        /// SHF_WRITE.
        public static let write: UInt64 = 0x1
        /// SHF_ALLOC.
        public static let alloc: UInt64 = 0x2
        /// SHF_EXECINSTR.
        public static let executable: UInt64 = 0x4
    }
}

// MARK: - ELFProgramHeader

/// One program header (`Elf64_Phdr`): a segment of an executable or shared library.
public struct ELFProgramHeader: Hashable, Sendable {
    /// `p_type`: 1 is `PT_LOAD`.
    public var type: UInt32
    /// `p_flags`: 1 execute, 2 write, 4 read.
    public var flags: UInt32
    /// `p_offset`: where the segment starts in the file.
    public var offset: UInt64
    /// `p_vaddr`: where it is mapped, relative to the load base for PIE and shared objects.
    public var virtualAddress: UInt64
    /// `p_filesz`: bytes taken from the file.
    public var fileSize: UInt64
    /// `p_memsz`: bytes in memory (at least `fileSize`).
    public var memorySize: UInt64
    /// `p_align`.
    public var alignment: UInt64

    /// `PT_LOAD`.
    public static let loadable: UInt32 = 1

    /// True for a `PT_LOAD` segment.
    public var isLoadable: Bool { type == Self.loadable }

    /// True when `address` lies in this segment's file-backed part.
    public func containsFileBacked(virtualAddress address: UInt64) -> Bool {
        address >= virtualAddress && address - virtualAddress < fileSize
    }
}
