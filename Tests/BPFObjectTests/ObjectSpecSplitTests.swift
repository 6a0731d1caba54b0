import Testing
import BPFObject
import BTF
import ELF
import TestSupport

/// Several programs in one section, each linked with the shared subprogram.
@Suite struct ObjectSpecSplitTests {
    @Test func sectionWithTwoFunctionsGivesTwoPrograms() throws {
        let bytes = try TestSupport.compileBPFFixture("object_kinds.bpf.c")
        let spec = try ObjectSpec(bytes: bytes)
        let elf = try ELFFile(bytes: bytes)
        let btf = try #require(spec.btf)
        let socket = try #require(elf.section(named: "socket"))
        let text = try #require(elf.section(named: ".text"))
        let symbols = try elf.symbols().filter { $0.sectionIndex == socket.index && $0.type == ELFSymbol.Kind.function }
        #expect(symbols.count == 2)
        for name in ["first_filter", "second_filter"] {
            let program = try #require(spec.program(named: name))
            #expect(program.sectionName == "socket")
            let own = Int(try #require(symbols.first { $0.name == name }).size) / 8
            #expect(program.instructions.count == own + text.size / 8)
            #expect(program.functionInfo.map { btf.name(of: $0.typeID) } == [name, "count_hit"])
            #expect(program.functionInfo.map(\.instructionIndex) == [0, own])
            // The subprogram's map reference is rebased past the program's own code.
            #expect(program.mapReferences.map(\.mapName) == ["hits"])
            #expect(program.mapReferences.allSatisfy { $0.instructionIndex >= own })
        }
        #expect(spec.programs.count == 8)
    }

    @Test func mapsSizedWithoutTypes() throws {
        let spec = try ObjectSpec(bytes: TestSupport.compileBPFFixture("object_kinds.bpf.c"))
        let samples = try #require(spec.map(named: "samples"))
        #expect(samples.type == .perfEventArray && samples.keySize == 4 && samples.valueSize == 4 && samples.maxEntries == 0)
        #expect(samples.keyTypeID == .void && samples.valueTypeID == .void)
        let records = try #require(spec.map(named: "records"))
        #expect(records.type == .ringBuffer && records.maxEntries == 4096 && records.keySize == 0 && records.valueSize == 0)
        let sized = try #require(spec.map(named: "sized"))
        #expect(sized.type == .hash && sized.keySize == 8 && sized.valueSize == 24 && sized.maxEntries == 16 && sized.flags == 1)
    }
}
