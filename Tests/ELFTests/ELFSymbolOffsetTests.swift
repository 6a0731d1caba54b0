import Testing
import ELF
import TestSupport

/// Symbol -> file offset for uprobes, on a PIE executable and on libc.
@Suite struct ELFSymbolOffsetTests {
    /// The offset computed a second way: through the section that holds the symbol.
    func offsetThroughSection(_ file: ELFFile, _ symbol: ELFSymbol) -> UInt64 {
        let section = file.sections[symbol.sectionIndex]
        return symbol.value - section.address + UInt64(section.offset)
    }

    @Test(arguments: [(["-fPIE", "-pie"], ELFFile.sharedObject), (["-fno-PIE", "-no-pie"], ELFFile.executable)])
    func executableFunction(flags: [String], fileType: UInt16) throws {
        let binary = try TestSupport.compileHostProgram("elf_host.c", extraFlags: flags)
        let file = try ELFFile(contentsOf: binary.path)
        #expect(file.fileType == fileType)
        #expect(file.programHeaders.contains { $0.isLoadable && $0.flags & 1 != 0 })
        let symbol = try file.symbol(named: "elf_test_function")
        #expect(symbol.type == ELFSymbol.Kind.function && symbol.size > 0)
        let offset = try file.symbolFileOffset(named: "elf_test_function")
        #expect(offset == offsetThroughSection(file, symbol))
        #expect(file.sections[symbol.sectionIndex].name == ".text")
        // A function body starts with real code, not zero padding.
        #expect(file.bytes[Int(offset)..<Int(offset) + 4] != [0, 0, 0, 0])
        // An object symbol in .data resolves too.
        let counter = try file.symbol(named: "elf_test_counter")
        #expect(try file.symbolFileOffset(named: "elf_test_counter") == offsetThroughSection(file, counter))
        #expect(file.bytes[Int(offsetThroughSection(file, counter))] == 7)
    }

    @Test func relocatableHostObjectHasAddends() throws {
        let object = try TestSupport.compileHostProgram("elf_host.c", extraFlags: ["-c"])
        let file = try ELFFile(contentsOf: object.path)
        #expect(file.fileType == ELFFile.relocatable && file.machine == 62)
        let symbols = try file.symbols()
        let text = try #require(file.section(named: ".text"))
        let rela = try #require(file.relocationSections.first { $0.targetIndex == text.index })
        #expect(rela.section.type == ELFSection.Kind.relocationsWithAddends)
        let relocations = try file.relocations(in: rela.section)
        #expect(relocations.allSatisfy { $0.addend != nil })
        let names = Set(relocations.map { symbols[$0.symbolIndex].name })
        #expect(names.isSuperset(of: ["elf_test_counter", "malloc", "free"]))
        // In a relocatable object a symbol's file offset is its section's offset plus its value.
        let function = try file.symbol(named: "elf_test_function")
        #expect(try file.symbolFileOffset(named: "elf_test_function") == UInt64(text.offset) + function.value)
    }

    @Test func importedSymbolIsNotDefinedHere() throws {
        let binary = try TestSupport.compileHostProgram("elf_host.c")
        let file = try ELFFile(contentsOf: binary.path)
        // malloc is only referenced (undefined) in the executable.
        #expect(try file.dynamicSymbols().contains { $0.name == "malloc" && !$0.isDefined })
        #expect(throws: ELFError.notFound(what: "symbol 'malloc'", file: binary.path)) {
            try file.symbolFileOffset(named: "malloc")
        }
    }

    @Test func libcVersionedDynamicSymbols() throws {
        let path = try #require(["/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6",
                                 "/lib64/libc.so.6", "/usr/lib64/libc.so.6"]
            .first { ELFTestFiles.exists($0) }, "no libc.so.6 found")
        let libc = try ELFFile(contentsOf: path)
        let dynamic = try libc.dynamicSymbols()
        let malloc = try #require(dynamic.first { $0.name == "malloc" && $0.isDefined })
        #expect(malloc.version?.hasPrefix("GLIBC_") == true)
        #expect(malloc.isDefaultVersion)
        #expect(malloc.versionedName == "malloc@@\(malloc.version!)")

        let bare = try libc.symbolFileOffset(named: "malloc")
        #expect(bare == (try libc.symbolFileOffset(named: malloc.versionedName)))
        #expect(bare == offsetThroughSection(libc, malloc))
        #expect(throws: ELFError.notFound(what: "symbol 'malloc@@NO_SUCH_VERSION'", file: libc.path)) { try libc.symbolFileOffset(named: "malloc@@NO_SUCH_VERSION") }

        // Symbols with several versions: a bare name picks the default one,
        // "name@V" selects a specific one.
        let grouped = Dictionary(grouping: dynamic.filter { $0.isDefined && $0.version != nil }, by: \.name)
        if let (name, versions) = grouped.first(where: { $0.value.count > 1 && $0.value.contains(where: \.isDefaultVersion) }) {
            let defaultVersion = try #require(versions.first { $0.isDefaultVersion })
            #expect(try libc.symbol(named: name).version == defaultVersion.version)
            let old = try #require(versions.first { !$0.isDefaultVersion })
            #expect(try libc.symbol(named: "\(name)@\(old.version!)").value == old.value)
        }
    }
}

enum ELFTestFiles {
    static func exists(_ path: String) -> Bool { (try? ELFFile(contentsOf: path)) != nil }
}
