import Foundation
import Testing
import ELF
import TestSupport

/// USDT notes of binaries built with the toolchain's clang, probes written
/// with inline assembly (Tests/Fixtures/include/usdt_note.h).
@Suite struct SDTNoteTests {
    static func buildTarget() throws -> ELFFile {
        let binary = try TestSupport.compileHostProgram("usdt_target.c", extraFlags: ["-fPIE", "-pie"])
        defer { try? FileManager.default.removeItem(at: binary.deletingLastPathComponent()) }
        return try ELFFile(contentsOf: binary.path)
    }

    @Test func probesOfTheTargetProgram() throws {
        let file = try Self.buildTarget()
        let probes = try file.sdtProbes()
        #expect(probes.map(\.qualifiedName) == ["swiftbcc:registers", "swiftbcc:memory", "swiftbcc:constants",
                                                "swiftbcc:globals", "swiftbcc:sites", "swiftbcc:guarded", "swiftbcc:string"])
        for probe in probes {
            for location in probe.locations {
                // Each site is the nop the macro put there.
                #expect(file.bytes[Int(location.fileOffset)] == 0x90, "\(probe.qualifiedName)")
                #expect(try file.fileOffset(ofVirtualAddress: location.address) == location.fileOffset)
            }
        }
        let byName = Dictionary(uniqueKeysWithValues: probes.map { ($0.name, $0) })

        let registers = try #require(byName["registers"]?.locations.first).arguments()
        #expect(registers.map(\.size) == [4, 8, 1, 2])
        #expect(registers.map(\.isSigned) == [true, false, false, true])
        for argument in registers {
            guard case let .register(register) = argument.location else {
                Issue.record("\(argument.text) is not a register")
                continue
            }
            #expect(register.size == argument.size && register.bitOffset == 0)
        }

        let memory = try #require(byName["memory"]?.locations.first).arguments()
        guard case let .memory(local) = memory[0].location, case let .memory(indexed) = memory[2].location else {
            Issue.record("memory arguments: \(memory)")
            return
        }
        #expect(local.base?.field == "bp" && local.displacement < 0 && local.index == nil)
        #expect(indexed.index != nil && indexed.scale == 4 && indexed.displacement == 4)

        let constants = try #require(byName["constants"]?.locations.first).arguments()
        #expect(constants.map(\.location) == [.constant(-5), .constant(123456)])

        // sym(%rip): the symbol's distance from the probe, the same in every process.
        let globalsLocation = try #require(byName["globals"]?.locations.first)
        let globals = try globalsLocation.arguments()
        let integer = try file.symbol(named: "usdt_global_int"), pair = try file.symbol(named: "usdt_global_pair")
        guard case let .memory(first) = globals[0].location, case let .memory(second) = globals[1].location else {
            Issue.record("globals: \(globals)")
            return
        }
        #expect(first.symbol == "usdt_global_int" && first.baseIsSymbolAnchor)
        #expect(first.symbolDistance == Int64(bitPattern: integer.value &- globalsLocation.address))
        #expect(second.symbol == "usdt_global_pair" && second.displacement == 8)
        #expect(second.symbolDistance == Int64(bitPattern: pair.value &- globalsLocation.address))

        // Two sites of one probe, with their own specs.
        let sites = try #require(byName["sites"])
        #expect(sites.locations.count == 2)
        #expect(sites.locations.map(\.argumentText) != [sites.locations[0].argumentText, sites.locations[0].argumentText])
        #expect(try sites.locations[1].arguments()[0].location == .constant(33))

        // The semaphore is the variable in .probes, found by its file offset as a uprobe's ref_ctr_offset wants it.
        let semaphoreSymbol = try file.symbol(named: "swiftbcc_guarded_semaphore")
        let guarded = try #require(byName["guarded"])
        #expect(guarded.semaphores == [SDTSemaphore(address: semaphoreSymbol.value,
                                                    fileOffset: try file.symbolFileOffset(named: "swiftbcc_guarded_semaphore"))])
        #expect(probes.filter { !$0.semaphores.isEmpty }.map(\.name) == ["guarded"])
    }

    /// A prelinked binary's notes still carry the old addresses; the
    /// difference between .stapsdt.base and the note's base moves them back.
    @Test func prelinkedNotesAreMovedByTheBaseDifference() throws {
        let file = try Self.buildTarget()
        let original = try file.sdtNotes()
        var bytes = file.bytes
        let section = try #require(file.section(named: ".note.stapsdt"))
        // Rewrite every note as if written 0x1000 lower: pc, base and semaphore all move.
        var offset = section.offset
        while offset < section.offset + section.size {
            let nameSize = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
            let descriptionSize = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8
            let description = offset + 12 + ((nameSize + 3) & ~3)
            for field in 0..<3 {
                let at = description + 8 * field
                var value = bytes[at..<(at + 8)].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
                if value != 0 { value &-= 0x1000 }
                for i in 0..<8 { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
            }
            offset = description + ((descriptionSize + 3) & ~3)
        }
        let moved = try ELFFile(bytes: bytes).sdtNotes()
        #expect(moved.map(\.address) == original.map(\.address))
        #expect(moved.map(\.semaphoreAddress) == original.map(\.semaphoreAddress))
        #expect(moved.allSatisfy { $0.base == original[0].base &- 0x1000 })
    }

    /// A binary without probes has none; a note cut short is an error naming its offset, never a crash.
    @Test func malformedAndMissingNotes() throws {
        let plain = try TestSupport.compileHostProgram("elf_host.c")
        defer { try? FileManager.default.removeItem(at: plain.deletingLastPathComponent()) }
        #expect(try ELFFile(contentsOf: plain.path).sdtProbes().isEmpty)

        let file = try Self.buildTarget()
        let section = try #require(file.section(named: ".note.stapsdt"))
        var bytes = file.bytes
        bytes[section.offset + 4] = 0xff  // the first note's description size runs past the section
        bytes[section.offset + 5] = 0xff
        #expect(throws: ELFError.self) { try ELFFile(bytes: bytes).sdtProbes() }

        bytes = file.bytes
        bytes[section.offset + 4] = 20  // too short for three addresses and three strings
        do {
            _ = try ELFFile(bytes: bytes).sdtNotes()
            Issue.record("a 20-byte stapsdt note parsed")
        } catch {
            #expect(error.description.contains("stapsdt note at offset"))
        }
    }

    /// An argument that cannot be parsed stays with its location as an error
    /// naming the binary, the probe and the argument; the others parse.
    @Test func badSpecIsAnErrorOfItsLocation() throws {
        let file = try Self.buildTarget()
        let section = try #require(file.section(named: ".note.stapsdt"))
        var bytes = file.bytes
        let region = section.offset..<(section.offset + section.size)
        let needle = Array("-2@%si".utf8)
        let at = try #require(region.first { bytes[$0..<min($0 + needle.count, bytes.count)].elementsEqual(needle) })
        bytes.replaceSubrange(at..<(at + needle.count), with: Array("-2@%zz".utf8))
        let probes = try ELFFile(bytes: bytes, path: "/bin/target").sdtProbes()
        let registers = try #require(probes.first { $0.name == "registers" }?.locations.first)
        #expect(throws: ELFError.malformedProbe(binary: "/bin/target", probe: "swiftbcc:registers",
                                                detail: "argument 4 '-2@%zz': unknown x86-64 register '%zz'")) {
            try registers.arguments()
        }
        #expect(try probes.first { $0.name == "memory" }?.locations.first?.arguments().count == 3)
    }

    /// AArch64 specs as clang prints them, plus gcc's `[sp, 8]` with a space.
    @Test func aarch64Notes() throws {
        let binary = try TestSupport.compileHostProgram(
            "usdt_aarch64.c", extraFlags: ["--target=aarch64-linux-gnu", "-nostdlib", "-static", "-fuse-ld=lld"])
        defer { try? FileManager.default.removeItem(at: binary.deletingLastPathComponent()) }
        let file = try ELFFile(contentsOf: binary.path)
        #expect(file.machine == 183)
        let probe = try #require(try file.sdtProbes().first)
        let arguments = try probe.locations[0].arguments()
        #expect(arguments.map(\.size) == [4, 8, 4, 8, 4, 8])
        guard case let .register(first) = arguments[0].location else {
            Issue.record("argument 1 is \(arguments[0])")
            return
        }
        #expect(first.size == 4 && first.name.hasPrefix("w") && first.field.hasPrefix("regs["))
        #expect(arguments[3].location == .constant(42))
        #expect(arguments[4].location == .memory(SDTMemoryOperand(base: SDTRegister(name: "sp", field: "sp", size: 8), displacement: 8)))
        #expect(arguments[5].location == .memory(SDTMemoryOperand(
            base: SDTRegister(name: "x29", field: "regs[29]", size: 8), displacement: -16)))
    }
}

/// The argument spec grammar, x86-64 and AArch64, good and bad.
@Suite struct SDTArgumentSpecTests {
    static let x86: UInt16 = 62, arm: UInt16 = 183

    @Test func x86Forms() throws {
        let list = try SDTArgument.parseList("-4@%eax 8@-16(%rbp) 1@%ah -4@$5 8@$0x10 8@counter(%rip) 4@counter+8(%rip) "
                                             + "4@8+counter(%rip) 8@(%rax,%rbx,8) 2@-8(,%rcx,2) 8@%r12 4@%r9d 1@%sil %edi", machine: Self.x86)
        #expect(list[0] == SDTArgument(text: "-4@%eax", size: 4, isSigned: true,
                                       location: .register(SDTRegister(name: "%eax", field: "ax", size: 4))))
        #expect(list[1].location == .memory(SDTMemoryOperand(base: SDTRegister(name: "%rbp", field: "bp", size: 8), displacement: -16)))
        #expect(list[2].location == .register(SDTRegister(name: "%ah", field: "ax", size: 1, bitOffset: 8)))
        #expect(list[3].location == .constant(5) && list[3].isSigned)
        #expect(list[4].location == .constant(16))
        let rip = SDTRegister(name: "%rip", field: "ip", size: 8, isInstructionPointer: true)
        #expect(list[5].location == .memory(SDTMemoryOperand(base: rip, symbol: "counter")))
        #expect(list[6].location == .memory(SDTMemoryOperand(base: rip, displacement: 8, symbol: "counter")))
        #expect(list[7].location == list[6].location)
        #expect(list[8].location == .memory(SDTMemoryOperand(
            base: SDTRegister(name: "%rax", field: "ax", size: 8), index: SDTRegister(name: "%rbx", field: "bx", size: 8), scale: 8)))
        #expect(list[9].location == .memory(SDTMemoryOperand(
            base: nil, index: SDTRegister(name: "%rcx", field: "cx", size: 8), scale: 2, displacement: -8)))
        #expect(list[10].location == .register(SDTRegister(name: "%r12", field: "r12", size: 8)))
        #expect(list[11].location == .register(SDTRegister(name: "%r9d", field: "r9", size: 4)))
        #expect(list[12].location == .register(SDTRegister(name: "%sil", field: "si", size: 1)))
        // Old notes without a size take the register's.
        #expect(list[13].size == 4 && !list[13].isSigned)
        #expect(try SDTArgument.parseList("", machine: Self.x86).isEmpty)
        #expect(try SDTArgument.parseList("  8@%rdi  ", machine: Self.x86).count == 1)
        #expect(list[1].description == "8 unsigned bytes @ memory -16(%rbp)")
    }

    @Test func aarch64Forms() throws {
        let list = try SDTArgument.parseList("-4@w1 8@x0 8@sp -4@[sp, 8] 8@[x2] 8@[x29,-16] 8@[x1, x2] -4@5 8@#-3", machine: Self.arm)
        #expect(list.count == 9)
        #expect(list[0].location == .register(SDTRegister(name: "w1", field: "regs[1]", size: 4)))
        #expect(list[3].location == .memory(SDTMemoryOperand(base: SDTRegister(name: "sp", field: "sp", size: 8), displacement: 8)))
        #expect(list[6].location == .memory(SDTMemoryOperand(
            base: SDTRegister(name: "x1", field: "regs[1]", size: 8), index: SDTRegister(name: "x2", field: "regs[2]", size: 8))))
        #expect(list[7].location == .constant(5) && list[8].location == .constant(-3))
    }

    @Test(arguments: [
        ("3@%eax", 62 as UInt16, "argument 1 '3@%eax': size 3 is not 1, 2, 4 or 8"),
        ("8@%rdi -4@%foo", 62, "argument 2 '-4@%foo': unknown x86-64 register '%foo'"),
        ("8@%xmm0", 62, "argument 1 '8@%xmm0': floating-point and vector registers (%xmm0) are not in struct pt_regs; BPF cannot read them"),
        ("8@-16(%rbp", 62, "argument 1 '8@-16(%rbp': expected ')' to close the memory operand"),
        ("8@16", 62, "argument 1 '8@16': expected '$constant', '%register' or a memory operand"),
        ("8@$99999999999999999999", 62, "argument 1 '8@$99999999999999999999': constant does not fit in 64 bits"),
        ("8@(%rax,%rbx,3)", 62, "argument 1 '8@(%rax,%rbx,3)': scale 3 is not 1, 2, 4 or 8"),
        ("8@%fs:0x28", 62, "argument 1 '8@%fs:0x28': segment-relative operands (%fs:...) cannot be read from BPF"),
        ("8@%rdi,", 62, "argument 1 '8@%rdi,': unexpected ',' after the operand"),
        ("-4@[sp, 8", 183, "argument 1 '-4@[sp, 8': expected ']' to close the memory operand"),
        ("8@x31", 183, "argument 1 '8@x31': unknown AArch64 register 'x31'"),
        ("8@%rdi", 243, "argument 1 '8@%rdi': no argument syntax for ELF machine 243 (known: x86-64, AArch64)"),
    ])
    func malformedSpecsNameTheArgument(spec: String, machine: UInt16, message: String) {
        #expect(throws: SDTArgumentSpecError.self) { try SDTArgument.parseList(spec, machine: machine) }
        do {
            _ = try SDTArgument.parseList(spec, machine: machine)
        } catch {
            #expect(error.description == message)
        }
    }
}
