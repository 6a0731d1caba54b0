// MARK: - ELFRelocation

/// One relocation entry from an `SHT_REL` or `SHT_RELA` section.
public struct ELFRelocation: Hashable, Sendable {
    /// `r_offset`: where to apply it, an offset into the target section (relocatable objects).
    public var offset: UInt64
    /// High 32 bits of `r_info`: the symbol's index in the linked symbol table.
    public var symbolIndex: Int
    /// Low 32 bits of `r_info`: the machine-specific relocation type.
    public var type: UInt32
    /// `r_addend` for `SHT_RELA`; nil for `SHT_REL`, whose addend is in the patched bytes.
    public var addend: Int64?
}

/// A relocation section together with the section it patches.
public struct ELFRelocationSection: Sendable {
    /// The `SHT_REL`/`SHT_RELA` section itself.
    public var section: ELFSection
    /// Index of the section the relocations apply to (`sh_info`).
    public var targetIndex: Int
    /// Index of the symbol table they refer to (`sh_link`).
    public var symbolTableIndex: Int
}

extension ELFFile {
    /// Every relocation section, with its target and symbol table.
    public var relocationSections: [ELFRelocationSection] {
        sections.compactMap { section in
            guard section.type == ELFSection.Kind.relocations || section.type == ELFSection.Kind.relocationsWithAddends
            else { return nil }
            return ELFRelocationSection(section: section, targetIndex: Int(section.info),
                                        symbolTableIndex: Int(section.link))
        }
    }

    /// Decodes the entries of relocation section `section` (REL or RELA).
    public func relocations(in section: ELFSection) throws(ELFError) -> [ELFRelocation] {
        let what = "relocation section '\(section.name)'"
        let hasAddend: Bool
        switch section.type {
        case ELFSection.Kind.relocations: hasAddend = false
        case ELFSection.Kind.relocationsWithAddends: hasAddend = true
        default:
            throw .malformed(what: what, offset: section.offset, detail: "section type \(section.type) is not REL or RELA")
        }
        let minimum = hasAddend ? 24 : 16
        let entrySize = section.entrySize == 0 ? minimum : section.entrySize
        guard entrySize >= minimum else {
            throw .malformed(what: what, offset: section.offset, detail: "entry size \(entrySize) is smaller than \(minimum)")
        }
        let data = try contents(of: section)
        var result: [ELFRelocation] = []
        result.reserveCapacity(data.count / entrySize)
        for i in 0..<(data.count / entrySize) {
            let at = data.startIndex + i * entrySize
            let info = try reader.u64(at + 8, what)
            result.append(ELFRelocation(
                offset: try reader.u64(at, what), symbolIndex: Int(info >> 32), type: UInt32(truncatingIfNeeded: info),
                addend: hasAddend ? Int64(bitPattern: try reader.u64(at + 16, what)) : nil))
        }
        return result
    }
}
