import Testing
import ELF
import TestSupport

/// Malformed input produces an `ELFError` naming what and where, never a crash.
@Suite struct ELFMalformedTests {
    /// Parses everything the reader offers, as a consumer would.
    static func readEverything(_ bytes: [UInt8]) throws {
        let file = try ELFFile(bytes: bytes)
        for section in file.sections { _ = try? file.contents(of: section) }
        _ = try file.symbols()
        _ = try file.dynamicSymbols()
        for rel in file.relocationSections { _ = try file.relocations(in: rel.section) }
    }

    /// A minimal valid header with no sections.
    static func header() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 64)
        bytes[0...5] = [0x7f, 0x45, 0x4c, 0x46, 2, 1]
        bytes[16] = 1
        bytes[18] = 247
        return bytes
    }

    @Test func emptyAndShortInputs() {
        #expect(throws: ELFError.truncated(what: "ELF header", offset: 0, length: 64, available: 0)) {
            try ELFFile(bytes: [])
        }
        #expect(throws: ELFError.truncated(what: "ELF header", offset: 0, length: 64, available: 4)) { try ELFFile(bytes: [0x7f, 0x45, 0x4c, 0x46]) }
    }

    @Test func badMagicClassAndEndianness() throws {
        var bytes = Self.header()
        bytes[0] = 0
        #expect(throws: ELFError.malformed(what: "ELF header", offset: 0, detail: "bad magic, not an ELF file")) {
            try ELFFile(bytes: bytes)
        }
        bytes = Self.header(); bytes[4] = 1
        #expect(throws: ELFError.unsupported(detail: "ELF class 1, only 64-bit (2) is supported")) { try ELFFile(bytes: bytes) }
        bytes = Self.header(); bytes[5] = 2
        #expect(throws: ELFError.unsupported(detail: "data encoding 2, only little-endian (1) is supported")) {
            try ELFFile(bytes: bytes)
        }
        #expect(try ELFFile(bytes: Self.header()).sections.isEmpty)
    }

    @Test func sectionTableOutsideTheFile() throws {
        var bytes = Self.header()
        bytes[40] = 0x40            // e_shoff = 64, the end of the file
        bytes[58] = 64; bytes[60] = 3  // three 64-byte entries
        let error = #expect(throws: ELFError.truncated(what: "section header table (3 entries)", offset: 64, length: 192, available: 0)) { try ELFFile(bytes: bytes) }
        #expect(error?.description.contains("section header table (3 entries) at offset 64") == true)
    }

    @Test func sectionNameIndexOutOfRange() throws {
        var bytes = Self.header() + [UInt8](repeating: 0, count: 64)
        bytes[40] = 0x40; bytes[58] = 64; bytes[60] = 1; bytes[62] = 5
        #expect(throws: ELFError.malformed(what: "ELF header", offset: 62,
                                           detail: "e_shstrndx 5 is not below the section count 1")) {
            try ELFFile(bytes: bytes)
        }
    }

    @Test func realObjectWithCorruptedFields() throws {
        let object = try TestSupport.compileBPFFixture("elf_sections.bpf.c")
        let file = try ELFFile(bytes: object)
        let shoff = Int(object[40]) | Int(object[41]) << 8
        let symtab = try #require(file.sections.first { $0.type == ELFSection.Kind.symbolTable })

        // A symbol table whose string table link points nowhere.
        var bytes = object
        bytes[shoff + symtab.index * 64 + 40] = 0xee
        let linkError = #expect(throws: ELFError.self) { try ELFFile(bytes: bytes).symbols() }
        #expect({ if case .malformed? = linkError { true } else { false } }())
        #expect(linkError?.description.contains("section index 238 is out of range") == true)

        // A section whose contents run past the end of the file.
        bytes = object
        bytes[shoff + symtab.index * 64 + 32 + 3] = 0x7f
        let sizeError = #expect(throws: ELFError.self) { try ELFFile(bytes: bytes).symbols() }
        #expect({ if case .truncated? = sizeError { true } else { false } }())
        #expect(sizeError?.description.contains("contents of section \(symtab.index) '.symtab'") == true)

        // A symbol whose name offset is past its string table.
        bytes = object
        let firstNamed = symtab.offset + 24
        bytes[firstNamed + 3] = 0x7f
        let nameError = #expect(throws: ELFError.self) { try ELFFile(bytes: bytes).symbols() }
        #expect({ if case .malformed? = nameError { true } else { false } }())
        #expect(nameError?.description.contains("name of symbol 1") == true)
    }

    @Test func everyTruncationFailsCleanly() throws {
        let object = try TestSupport.compileBPFFixture("elf_sections.bpf.c")
        var failures = 0
        for length in stride(from: 0, to: object.count, by: 7) {
            do { try Self.readEverything(Array(object[..<length])) } catch is ELFError { failures += 1 }
        }
        #expect(failures > 0)
        try Self.readEverything(object)
    }

    @Test func randomCorruptionNeverTraps() throws {
        let object = try TestSupport.compileBPFFixture("elf_sections.bpf.c")
        var generator = SplitMix64(seed: 0x5eed)
        var failures = 0
        for _ in 0..<2000 {
            var bytes = object
            for _ in 0..<4 {
                let at = Int(generator.next() % UInt64(min(bytes.count, 256 + 64 * 32)))
                bytes[at < 64 ? at : bytes.count - 1 - at % 2048] = UInt8(truncatingIfNeeded: generator.next())
            }
            // Any other error type escapes and fails the test.
            do { try Self.readEverything(bytes) } catch is ELFError { failures += 1 }
        }
        #expect(failures > 0)
    }
}

/// A small deterministic generator so corruption tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
