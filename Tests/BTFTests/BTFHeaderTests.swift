import ELF
import Foundation
import Testing
import TestSupport
@testable import BTF

@Suite("C header emission")
struct BTFHeaderTests {
    @Test(.enabled(if: KernelBTF.available, "kernel has no BTF (CONFIG_DEBUG_INFO_BTF)"))
    func kernelHeaderCompiles() throws {
        let btf = try #require(KernelBTF.btf)
        let header = String(decoding: try btf.cHeader(), as: UTF8.self)
        #expect(header.contains("struct task_struct {"))
        let errors = try compileForBPF(["vmlinux.h": header], main: "vmlinux.h", extraFlags: ["-x", "c"])
        #expect(errors == nil, "\(errors ?? "")")
    }

    @Test(.enabled(if: KernelBTF.available, "kernel has no BTF (CONFIG_DEBUG_INFO_BTF)"))
    func kernelHeaderMatchesBTFLayout() throws {
        let btf = try #require(KernelBTF.btf)
        let header = String(decoding: try btf.cHeader(), as: UTF8.self)
        let check = LayoutCheck(btf)
        #expect(check.assertionCount > 50_000)
        let errors = try compileForBPF(
            ["vmlinux.h": header, "check.c": "#include \"vmlinux.h\"\n" + check.source], main: "check.c")
        #expect(errors == nil, "\(errors ?? "")")
    }

    @Test(.enabled(if: KernelBTF.available, "kernel has no BTF (CONFIG_DEBUG_INFO_BTF)"))
    func emissionIsDeterministic() throws {
        let btf = try #require(KernelBTF.btf)
        #expect(try btf.cHeader() == btf.cHeader())
    }

    /// The fixture object's .BTF, decoded.
    private func fixtureBTF() throws -> BTF {
        let object = try ELFFile(bytes: TestSupport.compileBPFFixture("btf_layout.c"))
        let section = try #require(object.section(named: ".BTF"))
        return try BTF(bytes: Array(object.contents(of: section)))
    }

    @Test func fixtureBTFDescribesTheSource() throws {
        let btf = try fixtureBTF()
        func structure(_ name: String, _ kind: BTFKind = .struct) throws -> BTFTypeID {
            guard let type = btf.firstType(named: name, kind: kind) else {
                throw MissingType(description: "btf_layout.c's BTF has no \(kind) \(name)")
            }
            return type.id
        }
        let bits = try structure("bits")
        #expect(btf.members(of: bits).map(\.name) == ["flags", "mode", "value", "wide", "tail"])
        #expect(btf.members(of: bits).map(\.bitfieldSize) == [3, 5, 12, 40, 0])
        #expect(btf.members(of: bits).map(\.bitOffset) == [0, 3, 8, 20, 64])
        #expect(btf.cSpelling(of: btf.members(of: bits)[2].type) == "int")

        let nested = try structure("nested")
        let members = btf.members(of: nested)
        #expect(members.map(\.name) == ["kind", "", "range", "color", "small", "wide"])
        #expect(btf.kind(of: members[1].type) == .union)
        #expect(btf.members(of: members[1].type).map(\.name) == ["as_u32", "bytes", "halves"])
        #expect(btf.cSpelling(of: btf.members(of: members[1].type)[1].type) == "unsigned char[4]")
        #expect(btf.size(of: btf.members(of: members[1].type)[2].type) == 4)
        #expect(btf.size(of: members[4].type) == 1)
        #expect(btf.size(of: members[5].type) == 8)

        let color = try structure("color", .enum)
        #expect(btf.enumValues(of: color).map(\.name) == ["RED", "GREEN", "BLUE"])
        #expect(btf.enumValues(of: color).map(\.signedValue) == [0, 5, -1])
        let wide = try #require(btf.types(named: "wide_enum").first)
        #expect(btf.enumValues(of: wide.id).map(\.bits) == [1, 0x1_0000_0000])

        let packed = try structure("packed_header")
        #expect(btf.size(of: packed) == 7)
        #expect(btf.alignment(of: packed) == 1)
        #expect(btf.alignment(of: try structure("aligned_block")) == 8)
        #expect(btf.size(of: try structure("aligned_block")) == 32)

        let table = try #require(btf.firstType(named: "table_t", kind: .typedef))
        let tableMembers = btf.members(of: btf.resolved(table.id))
        #expect(tableMembers.map(\.name) == ["handler", "names", "matrix", "node", "ready"])
        #expect(btf.cSpelling(of: tableMembers[0].type, name: "handler") == "int (*handler)(void *, unsigned long)")
        #expect(btf.cSpelling(of: tableMembers[1].type) == "const char *[4]")
        #expect(btf.cSpelling(of: tableMembers[2].type) == "int[2][3]")
        #expect(btf.cSpelling(of: tableMembers[4].type) == "volatile int")
        #expect(btf.members(of: try structure("number", .union)).map(\.name) == ["i", "d", "b"])
        #expect(btf.cSpelling(of: btf.members(of: try structure("list_node"))[1].type) == "struct list_node **")
    }

    @Test func fixtureLayoutMatchesTheSourceAndTheHeader() throws {
        let btf = try fixtureBTF()
        let check = LayoutCheck(btf)
        #expect(check.assertionCount >= 25)
        let source = try String(contentsOf: TestSupport.fixturesDirectory.appendingPathComponent("btf_layout.c"), encoding: .utf8)
        // The asserts hold for the C source itself...
        var errors = try compileForBPF(["source.c": source + "\n" + check.source], main: "source.c")
        #expect(errors == nil, "\(errors ?? "")")
        // ...and for the header written from its BTF.
        let header = String(decoding: try btf.cHeader(), as: UTF8.self)
        errors = try compileForBPF(["types.h": header, "check.c": "#include \"types.h\"\n" + check.source], main: "check.c")
        #expect(errors == nil, "\(errors ?? "")\n\(header)")
    }

    @Test func duplicateNamesGetSuffixes() throws {
        var b = BTFBuilder()
        let int = b.int("int", size: 4, signed: true)
        let long = b.int("long", size: 8, signed: true)
        let first = b.composite(.struct, "dup", size: 4, members: [("a", int, 0, 0)])
        let second = b.composite(.struct, "dup", size: 8, members: [("b", long, 0, 0)])
        _ = b.composite(.struct, "user", size: 16, members: [("one", first, 0, 0), ("two", second, 64, 0)])
        _ = b.enumeration("", values: [("LIMIT", 3)])
        _ = b.enumeration("", values: [("LIMIT", 4)])
        let btf = try b.build()
        let header = String(decoding: try btf.cHeader(), as: UTF8.self)
        #expect(header.contains("struct dup {\n\tint a;\n};"))
        #expect(header.contains("struct dup___2 {\n\tlong b;\n};"))
        #expect(header.contains("\tstruct dup one;\n\tstruct dup___2 two;"))
        #expect(header.contains("LIMIT = 3,"))
        #expect(header.contains("LIMIT___2 = 4,"))
        let errors = try compileForBPF(["t.h": header], main: "t.h", extraFlags: ["-x", "c"])
        #expect(errors == nil, "\(errors ?? "")")
    }

    @Test func forwardDeclarationsBreakPointerCycles() throws {
        var b = BTFBuilder()
        let a = b.composite(.struct, "a", size: 8, members: [("b", 4, 0, 0)])
        let b2 = b.composite(.struct, "b", size: 8, members: [("a", 3, 0, 0)])
        _ = b.pointer(to: a)
        _ = b.pointer(to: b2)
        let btf = try b.build()
        let header = String(decoding: try btf.cHeader(), as: UTF8.self)
        #expect(header.contains("struct b;\n\nstruct a {\n\tstruct b *b;\n};\n\nstruct b {\n\tstruct a *a;\n};"))
    }

    @Test func craftedGapsAreErrorsNotHangs() throws {
        var b = BTFBuilder()
        let int = b.int("int", size: 4)
        _ = b.composite(.struct, "huge", size: 0xffff_fff0, members: [("a", int, 0, 0)])
        #expect(throws: BTFError.badType(id: 2, offset: 40, problem: "tail padding of more than 1 MiB")) { try b.build().cHeader() }
    }

    @Test func repeatedInlinePaddingHitsTheSizeLimit() throws {
        var b = BTFBuilder()
        // An anonymous struct that is 1 MiB of padding, inlined 64 times.
        let padding = b.composite(.struct, "", size: 1 << 20, members: [])
        let members = (0..<64).map { ("m\($0)", padding, UInt32($0) << 23, UInt32(0)) }
        _ = b.composite(.struct, "big", size: 64 << 20, members: members)
        #expect(throws: BTFError.headerTooLarge(limit: 32 * b.bytes().count + (1 << 20))) { try b.build().cHeader() }
    }
}

/// A type the fixture declares is missing from its BTF.
struct MissingType: Error, CustomStringConvertible {
    var description: String
}

@Suite("Split BTF on the kernel's")
struct SplitBTFHeaderTests {
    @Test(.enabled(if: KernelBTF.available, "kernel has no BTF (CONFIG_DEBUG_INFO_BTF)"))
    func moduleStyleSplitBTFDecodesAndCompiles() throws {
        let vmlinux = try #require(KernelBTF.btf)
        let task = try #require(vmlinux.firstType(named: "task_struct", kind: .struct)).id
        let listHead = try #require(vmlinux.firstType(named: "list_head", kind: .struct)).id
        let int = try #require(vmlinux.firstType(named: "int", kind: .int)).id
        var split = BTFBuilder(base: vmlinux)
        _ = split.string("")
        let taskPointer = split.pointer(to: task.rawValue)
        let state = split.composite(.struct, "swift_bcc_module_state", size: 32, members: [
            ("owner", taskPointer, 0, 0), ("entries", listHead.rawValue, 64, 0), ("count", int.rawValue, 192, 0),
        ])
        let btf = try split.build(base: vmlinux)
        #expect(btf.ownTypeIDs == UInt32(vmlinux.typeCount)..<UInt32(vmlinux.typeCount + 2))
        #expect(btf.cSpelling(of: BTFTypeID(taskPointer)) == "struct task_struct *")
        #expect(btf.members(of: BTFTypeID(state)).map(\.name) == ["owner", "entries", "count"])
        #expect(btf.size(of: BTFTypeID(state)) == 32)

        let header = String(decoding: try btf.cHeader(), as: UTF8.self)
        #expect(header.contains("struct swift_bcc_module_state {\n\tstruct task_struct *owner;\n\tstruct list_head entries;\n\tint count;\n};"))
        let check = "#include \"module.h\"\n_Static_assert(sizeof(struct swift_bcc_module_state) == 32, \"size\");\n"
            + "_Static_assert(__builtin_offsetof(struct swift_bcc_module_state, count) == 24, \"count\");\n"
        let errors = try compileForBPF(["module.h": header, "check.c": check], main: "check.c")
        #expect(errors == nil, "\(errors ?? "")")
    }
}
