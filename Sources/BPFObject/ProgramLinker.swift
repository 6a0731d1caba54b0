import BTF
import ELF

// MARK: - Code units

/// One function's instructions in an executable section, with everything
/// that refers into or out of it, indexed relative to the function's start.
struct CodeUnit {
    /// The function symbol's name (or the section's, when it has no symbols).
    var name: String
    var sectionIndex: Int
    var sectionName: String
    /// First instruction, as an index into the section.
    var start: Int
    var instructions: [Instruction]
    /// Calls to other functions, and 64-bit loads of a function's address
    /// (callbacks for bpf_loop and the like): index in the unit, target
    /// section, target index in that section.
    var calls: [(index: Int, section: Int, target: Int, isAddress: Bool)] = []
    var mapReferences: [MapReference] = []
    var functionInfo: [FunctionInfo] = []
    var lineInfo: [LineInfo] = []
    var coreRelocations: [CORERelocation] = []

    var range: Range<Int> { start..<(start + instructions.count) }
}

// MARK: - ProgramLinker

/// Splits executable sections into functions, resolves their relocations,
/// and links each program with the subprograms it calls.
struct ProgramLinker {
    let context: ObjectContext
    /// Units by section index, sorted by start.
    private var units: [Int: [CodeUnit]] = [:]
    private let license: String

    init(context: ObjectContext, dataSections: [ELFSection], maps: [MapSpec], btf: BTF?, ext: BTFExt?,
         license: String) throws(BPFObjectError) {
        self.context = context
        self.license = license
        let elf = context.elf
        let mapsSection = elf.section(named: ".maps")?.index
        let dataByIndex = Dictionary(uniqueKeysWithValues: dataSections.map { ($0.index, $0) })
        let mapNames = Set(maps.map(\.name))
        let relocations = try Self.relocationsByTarget(elf)
        let extInfo = try ExtInfo(ext: ext, btf: btf)

        for section in elf.sections where section.isExecutable && section.size > 0 {
            let what = "section \(section.name)"
            guard section.size % 8 == 0 else {
                throw .malformed(what: what, detail: "size \(section.size) is not a multiple of 8 (one instruction)")
            }
            let bytes = try context.contents(of: section)
            let instructions = stride(from: bytes.startIndex, to: bytes.endIndex, by: 8).map {
                Instruction(bytes: bytes[$0..<($0 + 8)])
            }
            var sectionUnits = try Self.split(section, instructions, context.symbols)
            // In offset order, so the spec is the same on every run.
            for (offset, relocation) in (relocations[section.index] ?? [:]).sorted(by: { $0.key < $1.key }) {
                guard offset % 8 == 0, Int(offset / 8) < instructions.count else {
                    throw .malformed(what: "relocation in \(what)", detail: "offset \(offset) is not an instruction in the section")
                }
                let index = Int(offset / 8)
                guard let u = sectionUnits.firstIndex(where: { $0.range.contains(index) }) else { continue }
                let symbol = try context.symbol(relocation.symbolIndex, referencedBy: "relocation at \(what)+\(offset)")
                let instruction = instructions[index]
                let local = index - sectionUnits[u].start
                let at = "instruction \(index) of \(what) (symbol '\(symbol.name)')"
                if instruction.isLoadImmediate64 {
                    guard local + 1 < sectionUnits[u].instructions.count else {
                        throw .malformed(what: at, detail: "64-bit immediate load is cut off at the end of function '\(sectionUnits[u].name)'")
                    }
                    if symbol.sectionIndex == mapsSection {
                        guard mapNames.contains(symbol.name) else {
                            throw .malformed(what: at, detail: "refers to '\(symbol.name)' in .maps, which is not a map")
                        }
                        sectionUnits[u].mapReferences.append(MapReference(instructionIndex: local, mapName: symbol.name, valueOffset: nil))
                    } else if let data = dataByIndex[symbol.sectionIndex] {
                        let valueOffset = symbol.value <= UInt64(data.size) ? Int(symbol.value) + Int(instruction.immediate) : -1
                        guard valueOffset >= 0, valueOffset < data.size else {
                            throw .malformed(what: at, detail: "offset \(symbol.value) + \(instruction.immediate) is outside section \(data.name) (\(data.size) bytes)")
                        }
                        sectionUnits[u].mapReferences.append(MapReference(instructionIndex: local, mapName: data.name, valueOffset: valueOffset))
                    } else if let code = try? elf.section(at: symbol.sectionIndex, referencedBy: at), code.isExecutable {
                        // A callback's address: the byte offset is the symbol's plus the immediate.
                        let codeOffset = symbol.value <= UInt64(code.size) ? Int(symbol.value) + Int(instruction.immediate) : -1
                        guard codeOffset >= 0, codeOffset < code.size, codeOffset % 8 == 0 else {
                            throw .malformed(what: at, detail: "function address \(symbol.value) + \(instruction.immediate) is not an instruction of section \(code.name)")
                        }
                        sectionUnits[u].calls.append((local, code.index, codeOffset / 8, true))
                    } else if symbol.sectionIndex == 0 {
                        throw .unsupported(what: at, detail: "extern symbols (.kconfig, .ksyms) are not implemented")
                    } else {
                        let target = (try? elf.section(at: symbol.sectionIndex, referencedBy: at).name) ?? "?"
                        throw .unsupported(what: at, detail: "a 64-bit load of an address in section '\(target)'")
                    }
                } else if instruction.isCall && instruction.source == Opcode.pseudoCall {
                    let target = Int(symbol.value / 8) + Int(instruction.immediate) + 1
                    sectionUnits[u].calls.append((local, symbol.sectionIndex, target, false))
                } else {
                    throw .unsupported(what: at, detail: "relocation type \(relocation.type) on opcode 0x\(String(instruction.opcode, radix: 16))")
                }
            }
            // Calls clang resolved itself, within the section.
            for u in sectionUnits.indices {
                for (local, instruction) in sectionUnits[u].instructions.enumerated()
                where instruction.isCall && instruction.source == Opcode.pseudoCall
                    && relocations[section.index]?[UInt64((sectionUnits[u].start + local) * 8)] == nil {
                    sectionUnits[u].calls.append((local, section.index, sectionUnits[u].start + local + Int(instruction.immediate) + 1, false))
                }
                extInfo.assign(to: &sectionUnits[u])
            }
            units[section.index] = sectionUnits
        }
    }

    /// Splits a section into functions at its STT_FUNC symbols.
    private static func split(_ section: ELFSection, _ instructions: [Instruction],
                              _ symbols: [ELFSymbol]) throws(BPFObjectError) -> [CodeUnit] {
        let functions = symbols.filter { $0.sectionIndex == section.index && $0.type == ELFSymbol.Kind.function }
            .sorted { $0.value < $1.value }
        guard !functions.isEmpty else {
            return [CodeUnit(name: section.name, sectionIndex: section.index, sectionName: section.name, start: 0,
                             instructions: instructions)]
        }
        var result: [CodeUnit] = []
        for function in functions {
            let what = "function '\(function.name)' in section \(section.name)"
            guard function.value % 8 == 0, function.size % 8 == 0, function.size > 0,
                  function.value / 8 <= UInt64(instructions.count),
                  function.size / 8 <= UInt64(instructions.count) - function.value / 8 else {
                throw .malformed(what: what, detail: "offset \(function.value) size \(function.size) is not a whole range of instructions in the section")
            }
            let start = Int(function.value / 8), count = Int(function.size / 8)
            if let last = result.last, last.range.upperBound > start {
                throw .malformed(what: what, detail: "overlaps function '\(last.name)'")
            }
            result.append(CodeUnit(name: function.name, sectionIndex: section.index, sectionName: section.name,
                                   start: start, instructions: Array(instructions[start..<(start + count)])))
        }
        return result
    }

    /// Relocations of every section, keyed by target section and byte offset.
    private static func relocationsByTarget(_ elf: ELFFile) throws(BPFObjectError) -> [Int: [UInt64: ELFRelocation]] {
        var result: [Int: [UInt64: ELFRelocation]] = [:]
        for rel in elf.relocationSections {
            guard rel.targetIndex < elf.sections.count, elf.sections[rel.targetIndex].isExecutable else { continue }
            let entries: [ELFRelocation]
            do { entries = try elf.relocations(in: rel.section) } catch { throw .elf(error) }
            for entry in entries { result[rel.targetIndex, default: [:]][entry.offset] = entry }
        }
        return result
    }

    // MARK: Linking

    /// `source` of an ld_imm64 whose immediate is a function's offset in
    /// instructions from the next instruction (BPF_PSEUDO_FUNC).
    static let pseudoFunction: UInt8 = 4

    /// Every program: the functions of every executable section but `.text`,
    /// each linked with the `.text` (or other) functions it calls.
    func programs() throws(BPFObjectError) -> [ProgramSpec] {
        var result: [ProgramSpec] = []
        for sectionIndex in units.keys.sorted() {
            let sectionName = context.elf.sections[sectionIndex].name
            if sectionName == ".text" { continue }
            guard let kind = ProgramSection(sectionName: sectionName) else {
                throw .unsupported(what: "section \(sectionName)",
                                   detail: "the name follows no known program convention (tracepoint/, kprobe/, uprobe/, raw_tp/, perf_event, ...)")
            }
            for unit in units[sectionIndex] ?? [] {
                result.append(try link(unit, section: kind))
            }
        }
        return result
    }

    private func unit(in section: Int, containing index: Int, from caller: String) throws(BPFObjectError) -> CodeUnit {
        guard let unit = units[section]?.first(where: { $0.range.contains(index) }) else {
            throw .malformed(what: "call in '\(caller)'", detail: "target instruction \(index) of section \(section) is not in any function")
        }
        return unit
    }

    /// Lays out `entry` followed by every function it calls, transitively,
    /// and rebases calls, map references and ext info onto the result.
    private func link(_ entry: CodeUnit, section: ProgramSection) throws(BPFObjectError) -> ProgramSpec {
        var spec = ProgramSpec(name: entry.name, sectionName: entry.sectionName, section: section, instructions: [],
                               mapReferences: [], functionInfo: [], lineInfo: [], coreRelocations: [], license: license)
        var layout: [CodeUnit] = []
        var bases: [String: Int] = [:]
        func key(_ unit: CodeUnit) -> String { "\(unit.sectionIndex):\(unit.start)" }
        func place(_ unit: CodeUnit) {
            bases[key(unit)] = spec.instructions.count
            layout.append(unit)
            spec.instructions += unit.instructions
        }
        place(entry)
        var next = 0
        while next < layout.count {
            let unit = layout[next]
            next += 1
            let base = bases[key(unit)]!
            for call in unit.calls {
                let callee = try self.unit(in: call.section, containing: call.target, from: unit.name)
                if bases[key(callee)] == nil { place(callee) }
                let at = base + call.index
                let target = bases[key(callee)]! + (call.target - callee.start)
                spec.instructions[at].immediate = Int32(target - at - 1)
                if call.isAddress {
                    spec.instructions[at].source = Self.pseudoFunction
                    spec.instructions[at + 1].immediate = 0
                }
            }
            spec.mapReferences += unit.mapReferences.map { var r = $0; r.instructionIndex += base; return r }
            spec.functionInfo += unit.functionInfo.map { var r = $0; r.instructionIndex += base; return r }
            spec.lineInfo += unit.lineInfo.map { var r = $0; r.instructionIndex += base; return r }
            spec.coreRelocations += unit.coreRelocations.map { var r = $0; r.instructionIndex += base; return r }
        }
        return spec
    }
}

// MARK: - ExtInfo

/// `.BTF.ext` records grouped by ELF section name, with instruction indexes.
private struct ExtInfo {
    var functions: [String: [FunctionInfo]] = [:]
    var lines: [String: [LineInfo]] = [:]
    var core: [String: [CORERelocation]] = [:]

    init(ext: BTFExt?, btf: BTF?) throws(BPFObjectError) {
        guard let ext, let btf else { return }
        func sectionName(_ offset: UInt32) throws(BPFObjectError) -> String {
            guard let name = btf.string(atOffset: offset) else {
                throw .malformed(what: ".BTF.ext", detail: "section name offset \(offset) is outside the BTF strings")
            }
            return name
        }
        func index(_ offset: UInt32, _ what: String) throws(BPFObjectError) -> Int {
            guard offset % 8 == 0 else { throw .malformed(what: what, detail: "instruction offset \(offset) is not a multiple of 8") }
            return Int(offset / 8)
        }
        for section in ext.functionInfo {
            let name = try sectionName(section.nameOffset)
            for record in section.records {
                functions[name, default: []].append(FunctionInfo(
                    instructionIndex: try index(record.instructionOffset, "func_info of \(name)"), typeID: record.typeID))
            }
        }
        for section in ext.lineInfo {
            let name = try sectionName(section.nameOffset)
            for record in section.records {
                lines[name, default: []].append(LineInfo(
                    instructionIndex: try index(record.instructionOffset, "line_info of \(name)"),
                    fileNameOffset: record.fileNameOffset, lineOffset: record.lineOffset, lineColumn: record.lineColumn))
            }
        }
        for section in ext.coreRelocations {
            let name = try sectionName(section.nameOffset)
            for record in section.records {
                guard let access = btf.string(atOffset: record.accessStringOffset) else {
                    throw .malformed(what: "CO-RE relocation in \(name)", detail: "access string offset \(record.accessStringOffset) is outside the BTF strings")
                }
                core[name, default: []].append(CORERelocation(
                    instructionIndex: try index(record.instructionOffset, "core_relo of \(name)"),
                    typeID: record.typeID, accessString: access, kind: record.kind))
            }
        }
    }

    /// Copies the records that fall inside `unit`, rebased to its start.
    func assign(to unit: inout CodeUnit) {
        let range = unit.range, start = unit.start
        unit.functionInfo = (functions[unit.sectionName] ?? []).filter { range.contains($0.instructionIndex) }
            .map { var r = $0; r.instructionIndex -= start; return r }
        unit.lineInfo = (lines[unit.sectionName] ?? []).filter { range.contains($0.instructionIndex) }
            .map { var r = $0; r.instructionIndex -= start; return r }
        unit.coreRelocations = (core[unit.sectionName] ?? []).filter { range.contains($0.instructionIndex) }
            .map { var r = $0; r.instructionIndex -= start; return r }
    }
}
