import BTF
import ELF

// MARK: - ObjectSpec

/// Everything a `clang -target bpf -O2 -g` object says, decoded without
/// touching the kernel: programs (linked with their subprograms), maps
/// (BTF-defined and global data), global variables, license, and the
/// object's BTF fixed up so the kernel accepts it.
///
///     let spec = try ObjectSpec(bytes: objectBytes, name: "minimal.bpf.o")
///     spec.programs.map(\.name)      // ["handle_exec"]
///     spec.maps.map(\.name)          // ["counts", ".rodata"]
public struct ObjectSpec: Sendable {
    /// The object's name, for error messages.
    public var name: String
    /// The programs, in section and symbol order.
    public var programs: [ProgramSpec]
    /// The maps: `.maps` definitions first, then global data sections.
    public var maps: [MapSpec]
    /// Global variables in the data sections, by symbol.
    public var variables: [GlobalVariable]
    /// The license string from the `license` section ("" when absent).
    public var license: String
    /// The object's `.BTF` with DATASEC sizes, variable offsets and function
    /// linkage fixed, ready for `BPF_BTF_LOAD`; nil when the object has none.
    public var btf: BTF?

    /// The program called `name`, if any.
    public func program(named name: String) -> ProgramSpec? { programs.first { $0.name == name } }

    /// The map called `name`, if any.
    public func map(named name: String) -> MapSpec? { maps.first { $0.name == name } }

    /// The global variable called `name`, if any.
    public func variable(named name: String) -> GlobalVariable? { variables.first { $0.name == name } }

    /// Decodes the object in `bytes`; `name` labels errors.
    public init(bytes: [UInt8], name: String = "<memory>") throws(BPFObjectError) {
        self.name = name
        let elf: ELFFile
        let symbols: [ELFSymbol]
        do {
            elf = try ELFFile(bytes: bytes, path: name)
            symbols = try elf.symbols()
        } catch {
            throw .elf(error)
        }
        guard elf.machine == ELFFile.machineBPF || elf.machine == 0 else {
            throw .malformed(what: name, detail: "e_machine is \(elf.machine), not BPF (247)")
        }
        guard elf.fileType == ELFFile.relocatable else {
            throw .malformed(what: name, detail: "ELF type \(elf.fileType) is not a relocatable object (1)")
        }
        let context = ObjectContext(elf: elf, symbols: symbols)

        license = try context.license()
        let dataSections = try context.dataSections()
        var variables = try context.variables(in: dataSections)

        // BTF: fix what clang leaves for the linker, then decode the result.
        var btf: BTF?
        var ext: BTFExt?
        if let section = elf.section(named: ".BTF") {
            let original: BTF
            do { original = try BTF(bytes: Array(try context.contents(of: section))) } catch { throw Self.wrap(error) }
            let fixed = try BTFFixup.apply(to: original, elf: elf, symbols: symbols)
            do { btf = try BTF(bytes: fixed) } catch { throw .btf(error) }
            if let extSection = elf.section(named: ".BTF.ext") {
                let extBytes = try context.contents(of: extSection)
                do { ext = try BTFExt(bytes: extBytes) } catch { throw .btf(error) }
            }
        }
        if let btf {
            variables = variables.map { variable in
                var typed = variable
                typed.typeID = Self.variableType(named: variable.name, section: variable.section, in: btf)
                return typed
            }
        }
        self.variables = variables
        self.btf = btf

        var maps = try context.btfMaps(btf: btf)
        for section in dataSections {
            // A data section whose contents lie outside the file is an error, not an empty initial value.
            let initialValue = section.isNoBits ? [UInt8](repeating: 0, count: section.size)
                : Array(try context.contents(of: section))
            maps.append(MapSpec(
                name: section.name, type: .array, keySize: 4, valueSize: section.size, maxEntries: 1,
                flags: section.name.hasPrefix(".rodata") ? MapSpec.readOnlyProgramFlag : 0,
                keyTypeID: .void, valueTypeID: btf.flatMap { Self.dataSectionType(named: section.name, in: $0) } ?? .void,
                initialValue: initialValue, freezeAfterLoad: section.name.hasPrefix(".rodata")))
        }
        self.maps = maps

        let linker = try ProgramLinker(context: context, dataSections: dataSections, maps: maps, btf: btf, ext: ext,
                                       license: license)
        programs = try linker.programs()
    }

    /// Object errors pass through; BTF errors are wrapped.
    private static func wrap(_ error: any Error) -> BPFObjectError {
        if let error = error as? BPFObjectError { return error }
        if let error = error as? BTFError { return .btf(error) }
        return .malformed(what: ".BTF", detail: "\(error)")
    }

    /// The DATASEC type called `name`.
    static func dataSectionType(named name: String, in btf: BTF) -> BTFTypeID? {
        btf.firstType(named: name, kind: .dataSection)?.id
    }

    /// The type of the variable `name` listed in DATASEC `section`, or `.void`.
    static func variableType(named name: String, section: String, in btf: BTF) -> BTFTypeID {
        guard let datasec = btf.firstType(named: section, kind: .dataSection) else { return .void }
        for entry in btf.dataSectionEntries(of: datasec.id) where btf.name(of: entry.type) == name {
            return btf.type(id: entry.type)?.referencedType ?? .void
        }
        return .void
    }
}

// MARK: - ObjectContext

/// The ELF file and symbol table with the object-level lookups shared by
/// the map, data and program decoders.
struct ObjectContext {
    let elf: ELFFile
    let symbols: [ELFSymbol]

    func contents(of section: ELFSection) throws(BPFObjectError) -> ArraySlice<UInt8> {
        do { return try elf.contents(of: section) } catch { throw .elf(error) }
    }

    func symbol(_ index: Int, referencedBy what: @autoclosure () -> String) throws(BPFObjectError) -> ELFSymbol {
        guard index >= 0, index < symbols.count else {
            throw .malformed(what: what(), detail: "symbol index \(index) is out of range (\(symbols.count) symbols)")
        }
        return symbols[index]
    }

    /// The `license` section's string.
    func license() throws(BPFObjectError) -> String {
        guard let section = elf.section(named: "license") else { return "" }
        let bytes = try contents(of: section)
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The largest global data section accepted: no kernel takes a map value
    /// this large (array values are capped at KMALLOC_MAX_SIZE, a few MiB),
    /// and it keeps a hostile `.bss` size from allocating gigabytes.
    static let maximumDataSectionSize = 64 << 20

    /// Sections that hold global variables and become array maps.
    func dataSections() throws(BPFObjectError) -> [ELFSection] {
        let sections = elf.sections.filter { section in
            guard section.flags & ELFSection.Flags.alloc != 0, !section.isExecutable, section.size > 0 else { return false }
            return [".data", ".rodata", ".bss"].contains { section.name == $0 || section.name.hasPrefix($0 + ".") }
        }
        if let large = sections.first(where: { $0.size > Self.maximumDataSectionSize }) {
            throw .malformed(what: "section \(large.name)", detail: "\(large.size) bytes of global data is more than any map value can hold")
        }
        return sections
    }

    /// Named variables defined in `sections`, from the symbol table.
    func variables(in sections: [ELFSection]) throws(BPFObjectError) -> [GlobalVariable] {
        let byIndex = Dictionary(uniqueKeysWithValues: sections.map { ($0.index, $0) })
        var result: [GlobalVariable] = []
        for symbol in symbols where symbol.type == ELFSymbol.Kind.object && !symbol.name.isEmpty {
            guard let section = byIndex[symbol.sectionIndex] else { continue }
            guard symbol.value <= UInt64(section.size), symbol.size <= UInt64(section.size) - symbol.value else {
                throw .malformed(what: "variable '\(symbol.name)'",
                                 detail: "offset \(symbol.value) size \(symbol.size) is outside section \(section.name) (\(section.size) bytes)")
            }
            result.append(GlobalVariable(name: symbol.name, section: section.name, offset: Int(symbol.value),
                                         size: Int(symbol.size), typeID: .void))
        }
        return result
    }
}
