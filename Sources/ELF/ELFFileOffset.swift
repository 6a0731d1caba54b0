// MARK: - Symbol to file offset (for uprobes)

extension ELFFile {
    /// The file offset of the code at virtual address `address`, found through
    /// the `PT_LOAD` segment containing it (or, for files without segments,
    /// the section containing it). This is the offset uprobes take.
    public func fileOffset(ofVirtualAddress address: UInt64) throws(ELFError) -> UInt64 {
        let loads = programHeaders.filter(\.isLoadable)
        if !loads.isEmpty {
            guard let segment = loads.first(where: { $0.containsFileBacked(virtualAddress: address) }) else {
                throw .notFound(what: "a PT_LOAD segment containing address 0x\(String(address, radix: 16))", file: path)
            }
            return try checkedSum(address - segment.virtualAddress, segment.offset, "segment file offset")
        }
        guard let section = sections.first(where: {
            $0.flags & ELFSection.Flags.alloc != 0 && !$0.isNoBits
                && address >= $0.address && address - $0.address < UInt64($0.size)
        }) else {
            throw .notFound(what: "a section containing address 0x\(String(address, radix: 16))", file: path)
        }
        return try checkedSum(address - section.address, UInt64(section.offset), "section file offset")
    }

    private func checkedSum(_ a: UInt64, _ b: UInt64, _ what: String) throws(ELFError) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw .malformed(what: what, offset: 0, detail: "\(a) + \(b) overflows 64 bits") }
        return sum
    }

    /// The defined function or object symbol called `name`, searched in
    /// `.symtab` and then `.dynsym`.
    ///
    /// `name` may carry a GNU version: "malloc@@GLIBC_2.2.5" or "memcpy@GLIBC_2.2.5"
    /// select that version; a bare "malloc" prefers the default version.
    /// Names in `.symtab` that carry their version inline ("puts@GLIBC_2.2.5")
    /// match the same way.
    public func symbol(named name: String) throws(ELFError) -> ELFSymbol {
        let wanted = VersionedName(name)
        var candidates: [ELFSymbol] = []
        for table in [try symbols(), try dynamicSymbols()] {
            candidates = table.filter { symbol in
                symbol.isDefined && symbol.sectionIndex < ELFSymbol.SpecialSection.absolute
                    && [ELFSymbol.Kind.function, ELFSymbol.Kind.object, ELFSymbol.Kind.indirectFunction, ELFSymbol.Kind.none]
                        .contains(symbol.type)
                    && wanted.matches(symbol)
            }
            if !candidates.isEmpty { break }
        }
        // Prefer the default version, then global over weak over local bindings.
        func rank(_ symbol: ELFSymbol) -> Int {
            let versionRank = symbol.version == nil || symbol.isDefaultVersion ? 0 : 4
            let bindingRank = symbol.binding == ELFSymbol.Binding.global ? 0 : symbol.binding == ELFSymbol.Binding.weak ? 1 : 2
            return versionRank + bindingRank
        }
        guard let best = candidates.min(by: { rank($0) < rank($1) }) else {
            throw .notFound(what: "symbol '\(name)'", file: path)
        }
        return best
    }

    /// The file offset of the symbol called `name` (see `symbol(named:)`),
    /// ready to be passed to a uprobe.
    public func symbolFileOffset(named name: String) throws(ELFError) -> UInt64 {
        let symbol = try symbol(named: name)
        if fileType == Self.relocatable {
            // Relocatable objects: the value is an offset into its section.
            let section = try section(at: symbol.sectionIndex, referencedBy: "symbol '\(name)'")
            return try checkedSum(UInt64(section.offset), symbol.value, "file offset of symbol '\(name)'")
        }
        return try fileOffset(ofVirtualAddress: symbol.value)
    }
}

/// A symbol name split into its base and optional GNU version.
private struct VersionedName {
    var base: String
    var version: String?
    var isDefault: Bool

    init(_ text: String) {
        if let at = text.firstIndex(of: "@") {
            base = String(text[..<at])
            let rest = text[text.index(after: at)...]
            isDefault = rest.hasPrefix("@")
            version = String(isDefault ? rest.dropFirst() : rest)
        } else {
            base = text
            version = nil
            isDefault = false
        }
    }

    func matches(_ symbol: ELFSymbol) -> Bool {
        // Inline versions in .symtab names, e.g. "puts@GLIBC_2.2.5".
        let inline = VersionedName(symbol.name)
        guard inline.base == base else { return false }
        guard let version else { return true }
        let symbolVersion = symbol.version ?? inline.version
        guard symbolVersion == version else { return false }
        // "name@@V" asks for the default version; "name@V" accepts either.
        return !isDefault || (symbol.version != nil ? symbol.isDefaultVersion : inline.isDefault)
    }
}
