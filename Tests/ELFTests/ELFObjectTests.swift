import Testing
import ELF
import TestSupport

/// ELF parsing of a clang-built BPF object: sections, symbols, relocations.
@Suite struct ELFObjectTests {
    let file: ELFFile

    init() throws {
        file = try ELFFile(bytes: TestSupport.compileBPFFixture("elf_sections.bpf.c"), path: "elf_sections.o")
    }

    @Test func headerSaysRelocatableBPF() {
        #expect(file.machine == ELFFile.machineBPF)
        #expect(file.fileType == ELFFile.relocatable)
        #expect(file.programHeaders.isEmpty)
        #expect(file.sections.first?.type == ELFSection.Kind.null)
    }

    @Test func sectionsHaveNamesKindsAndContents() throws {
        let socket = try #require(file.section(named: "socket"))
        #expect(socket.isExecutable)
        #expect(socket.size % 8 == 0 && socket.size > 0)
        #expect(try file.contents(of: socket).count == socket.size)

        let bss = try #require(file.section(named: ".bss"))
        #expect(bss.isNoBits && bss.size == 8)
        #expect(try file.contents(of: bss).isEmpty)

        let license = try #require(file.section(named: "license"))
        #expect(Array(try file.contents(of: license)) == Array("GPL\0".utf8))
        #expect(file.section(named: "raw_tracepoint/sys_enter") != nil)
        #expect(file.section(named: ".BTF") != nil && file.section(named: ".BTF.ext") != nil)
        #expect(file.section(named: "no such section") == nil)
    }

    @Test func symbolsCarryNameTypeBindingAndSection() throws {
        let symbols = try file.symbols()
        let byName = Dictionary(symbols.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let program = try #require(byName["count_packets"])
        #expect(program.type == ELFSymbol.Kind.function)
        #expect(program.binding == ELFSymbol.Binding.global)
        #expect(file.sections[program.sectionIndex].name == "socket")
        #expect(program.value == 0)
        #expect(Int(program.size) == file.section(named: "socket")?.size)

        let map = try #require(byName["counts"])
        #expect(map.type == ELFSymbol.Kind.object)
        #expect(file.sections[map.sectionIndex].name == ".maps")
        #expect(map.size == 32)  // four pointers: type, max_entries, key, value
        #expect(file.sections[try #require(byName["factor"]).sectionIndex].name == ".rodata")
        #expect(file.sections[try #require(byName["total"]).sectionIndex].name == ".bss")
        #expect(symbols.first?.name == "" && symbols.first?.isDefined == false)
    }

    @Test func relocationsPointAtMapsAndGlobalData() throws {
        let symbols = try file.symbols()
        let socket = try #require(file.section(named: "socket"))
        let rel = try #require(file.relocationSections.first { $0.targetIndex == socket.index })
        #expect(rel.section.name == ".relsocket")
        #expect(file.sections[rel.symbolTableIndex].type == ELFSection.Kind.symbolTable)
        let relocations = try file.relocations(in: rel.section)
        #expect(relocations.map { symbols[$0.symbolIndex].name }.sorted() == ["counts", "factor", "total"])
        for relocation in relocations {
            #expect(relocation.type == 1)  // R_BPF_64_64
            #expect(relocation.addend == nil)
            // Each one patches a 64-bit immediate load (opcode 0x18).
            #expect(try file.contents(of: socket)[socket.offset + Int(relocation.offset)] == 0x18)
        }
    }
}
