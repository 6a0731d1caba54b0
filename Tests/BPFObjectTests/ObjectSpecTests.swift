import Testing
import BPFObject
import BTF
import ELF
import TestSupport

/// What `ObjectSpec` makes of a clang-built object with maps, global data,
/// a string literal, a loop and a bpf-to-bpf call.
@Suite struct ObjectSpecTests {
    let spec: ObjectSpec
    let elf: ELFFile

    init() throws {
        let bytes = try TestSupport.compileBPFFixture("object_globals.bpf.c")
        spec = try ObjectSpec(bytes: bytes, name: "object_globals.o")
        elf = try ELFFile(bytes: bytes)
    }

    @Test func programIsLinkedWithItsSubprogram() throws {
        #expect(spec.programs.map(\.name) == ["run_globals"])
        #expect(spec.license == "GPL")
        let program = try #require(spec.program(named: "run_globals"))
        #expect(program.sectionName == "socket")
        #expect(program.section.programType == ProgramType.socketFilter)
        let own = try #require(elf.section(named: "socket")).size / 8
        let text = try #require(elf.section(named: ".text")).size / 8
        #expect(program.instructions.count == own + text)
        // The one bpf-to-bpf call lands on the appended subprogram's first instruction.
        let calls = program.instructions.indices.filter {
            program.instructions[$0].isCall && program.instructions[$0].source == Opcode.pseudoCall
        }
        #expect(calls.count == 1)
        let call = try #require(calls.first)
        #expect(call + 1 + Int(program.instructions[call].immediate) == own)
    }

    @Test func decodingIsDeterministic() throws {
        let again = try ObjectSpec(bytes: elf.bytes, name: "object_globals.o")
        #expect(again.programs == spec.programs)
        #expect(again.maps == spec.maps)
        #expect(again.variables == spec.variables)
        #expect(again.btf?.bytes == spec.btf?.bytes)
    }

    @Test func functionAndLineInfoCoverBothFunctions() throws {
        let program = try #require(spec.program(named: "run_globals"))
        let own = try #require(elf.section(named: "socket")).size / 8
        #expect(program.functionInfo.map(\.instructionIndex) == [0, own])
        let btf = try #require(spec.btf)
        #expect(program.functionInfo.map { btf.name(of: $0.typeID) } == ["run_globals", "mix_to"])
        #expect(program.lineInfo.first?.instructionIndex == 0)
        #expect(program.lineInfo.map(\.instructionIndex) == program.lineInfo.map(\.instructionIndex).sorted())
        #expect(program.lineInfo.contains { $0.instructionIndex == own })
        #expect(program.lineInfo.allSatisfy { btf.string(atOffset: $0.fileNameOffset)?.hasSuffix("object_globals.bpf.c") == true })
        let texts = program.lineInfo.compactMap { btf.string(atOffset: $0.lineOffset) }
        #expect(texts.contains { $0.contains("total = total * 3 + i;") })
    }

    @Test func mapReferencesNameMapsAndGlobalDataOffsets() throws {
        let program = try #require(spec.program(named: "run_globals"))
        let references = program.mapReferences
        for reference in references {
            #expect(program.instructions[reference.instructionIndex].isLoadImmediate64)
        }
        #expect(references.filter { $0.mapName == "results" }.allSatisfy { $0.valueOffset == nil })
        #expect(references.filter { $0.mapName == "results" }.count == 2)
        #expect(references.contains { $0.mapName == "greetings" && $0.valueOffset == nil })
        #expect(references.contains { $0.mapName == ".rodata" && $0.valueOffset == 0 })
        #expect(references.contains { $0.mapName == ".data" && $0.valueOffset == 0 })
        #expect(references.contains { $0.mapName == ".bss" && $0.valueOffset == 0 })
        let literal = try #require(references.first { $0.mapName.hasPrefix(".rodata.str") })
        let strings = try #require(spec.map(named: literal.mapName)?.initialValue)
        let start = try #require(literal.valueOffset)
        #expect(Array(strings[start..<(start + 14)]) == Array("hello, rodata\0".utf8))
    }

    @Test func btfMapsAndDataMaps() throws {
        let btf = try #require(spec.btf)
        let results = try #require(spec.map(named: "results"))
        #expect(results.type == .array && results.keySize == 4 && results.valueSize == 8 && results.maxEntries == 4)
        #expect(btf.size(of: results.keyTypeID) == 4)
        #expect(btf.size(of: results.valueTypeID) == 8)
        let greetings = try #require(spec.map(named: "greetings"))
        #expect(greetings.valueSize == 14 && btf.name(of: greetings.valueTypeID) == "greeting")

        let rodata = try #require(spec.map(named: ".rodata"))
        #expect(rodata.freezeAfterLoad && rodata.flags == MapSpec.readOnlyProgramFlag)
        #expect(rodata.maxEntries == 1 && rodata.keySize == 4 && rodata.valueSize == 4)
        #expect(rodata.initialValue == [1, 0, 0, 0])
        #expect(btf.kind(of: rodata.valueTypeID) == .dataSection)
        let data = try #require(spec.map(named: ".data"))
        #expect(!data.freezeAfterLoad && data.initialValue == [5, 0, 0, 0])
        let bss = try #require(spec.map(named: ".bss"))
        #expect(bss.initialValue == [UInt8](repeating: 0, count: 8))
    }

    @Test func variablesAndFixedDataSections() throws {
        let btf = try #require(spec.btf)
        let multiplier = try #require(spec.variable(named: "multiplier"))
        #expect(multiplier.section == ".rodata" && multiplier.offset == 0 && multiplier.size == 4)
        #expect(btf.size(of: multiplier.typeID) == 4)
        #expect(spec.variable(named: "runs")?.section == ".bss")
        // DATASEC sizes and offsets now match the ELF sections and symbols.
        for name in [".rodata", ".data", ".bss"] {
            let datasec = try #require(btf.firstType(named: name, kind: .dataSection))
            #expect(datasec.declaredSize == elf.section(named: name)?.size)
            for entry in btf.dataSectionEntries(of: datasec.id) {
                #expect(entry.offset == spec.variable(named: btf.name(of: entry.type))?.offset)
            }
        }
    }
}
