// MARK: - GNU symbol versions

extension ELFFile {
    /// Fills `version` and `isDefaultVersion` of `.dynsym` entries from
    /// `.gnu.version`, `.gnu.version_d` and `.gnu.version_r`.
    func attachVersions(to symbols: inout [ELFSymbol], symbolTable: ELFSection) throws(ELFError) {
        guard let versym = sections.first(where: { $0.type == ELFSection.Kind.gnuVersionSymbols }) else { return }
        let names = try versionNames()
        let data = try contents(of: versym)
        for i in symbols.indices where 2 * i + 1 < data.count {
            let raw = try reader.u16(data.startIndex + 2 * i, "entry \(i) of '\(versym.name)'")
            let index = raw & 0x7fff
            guard index > 1, let name = names[index] else { continue }
            symbols[i].version = name
            symbols[i].isDefaultVersion = raw & 0x8000 == 0 && symbols[i].isDefined
        }
    }

    /// Version index -> version name, from the definitions and the needs.
    private func versionNames() throws(ELFError) -> [UInt16: String] {
        var names: [UInt16: String] = [:]
        for section in sections where section.type == ELFSection.Kind.gnuVersionDefinitions {
            try walkChain(section, entrySize: 20, nextAt: 16) { (at: Int) throws(ELFError) in
                let what = "version definition in '\(section.name)'"
                let flags = try reader.u16(at + 2, what)
                let index = try reader.u16(at + 4, what)
                let auxOffset = Int(try reader.u32(at + 12, what))
                // The base definition (VER_FLG_BASE) names the file itself, not a version.
                guard flags & 0x1 == 0, auxOffset > 0 else { return }
                let nameOffset = Int(try reader.u32(at + auxOffset, what))
                names[index] = try string(inTable: Int(section.link), at: nameOffset)
            }
        }
        for section in sections where section.type == ELFSection.Kind.gnuVersionNeeds {
            try walkChain(section, entrySize: 16, nextAt: 12) { (at: Int) throws(ELFError) in
                let what = "version need in '\(section.name)'"
                let count = Int(try reader.u16(at + 2, what))
                var aux = at + Int(try reader.u32(at + 8, what))
                for _ in 0..<min(count, section.size / 16) {
                    let index = try reader.u16(aux + 6, what)
                    let nameOffset = Int(try reader.u32(aux + 8, what))
                    names[index] = try string(inTable: Int(section.link), at: nameOffset)
                    let next = Int(try reader.u32(aux + 12, what))
                    if next == 0 { break }
                    aux += next
                }
            }
        }
        return names
    }

    /// Visits the entries of a verdef/verneed chain, each linked to the next by a
    /// relative offset at `nextAt`; the walk stays inside the section and ends
    /// after at most one visit per possible entry, so a cycle cannot hang it.
    private func walkChain(_ section: ELFSection, entrySize: Int, nextAt: Int,
                           _ visit: (Int) throws(ELFError) -> Void) throws(ELFError) {
        let data = try contents(of: section)
        var at = data.startIndex
        for _ in 0..<(data.count / entrySize) {
            guard at >= data.startIndex, at + entrySize <= data.endIndex else {
                throw .malformed(what: "version chain in '\(section.name)'", offset: at, detail: "entry is outside the section")
            }
            try visit(at)
            let next = Int(try reader.u32(at + nextAt, "version chain in '\(section.name)'"))
            if next == 0 { return }
            at += next
        }
    }
}
