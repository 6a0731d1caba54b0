import Testing
import BPFObject
import ELF
import TestSupport

/// Bad objects give a `BPFObjectError` naming the part at fault.
@Suite struct ObjectSpecMalformedTests {
    @Test func notAnELFFile() {
        #expect(throws: BPFObjectError.elf(.malformed(what: "ELF header", offset: 0, detail: "bad magic, not an ELF file"))) {
            try ObjectSpec(bytes: Array("int main() { return 0; }".utf8) + [UInt8](repeating: 0, count: 64))
        }
    }

    @Test func hostObjectIsNotBPF() throws {
        let host = try TestSupport.compileHostProgram("elf_host.c")
        let bytes = try ELFFile(contentsOf: host.path).bytes
        let error = #expect(throws: BPFObjectError.malformed(what: "elf_host", detail: "e_machine is 62, not BPF (247)")) { try ObjectSpec(bytes: bytes, name: "elf_host") }
        #expect(error?.description.contains("elf_host: e_machine is 62, not BPF (247)") == true)
    }

    @Test func unknownProgramSection() throws {
        let bytes = try TestSupport.compileBPFFixture("object_unknown_section.bpf.c")
        #expect(throws: BPFObjectError.unsupported(
            what: "section weird/name",
            detail: "the name follows no known program convention (tracepoint/, kprobe/, uprobe/, raw_tp/, perf_event, ...)")) {
            try ObjectSpec(bytes: bytes)
        }
    }

    @Test func btfMapsNeedDebugInfo() throws {
        let bytes = try TestSupport.compileBPFFixture("object_globals.bpf.c", extraFlags: ["-g0"])
        #expect(throws: BPFObjectError.malformed(what: "section .maps",
                                                 detail: "BTF-defined maps need the object's .BTF (compile with -g)")) {
            try ObjectSpec(bytes: bytes)
        }
    }

    @Test func everyTruncationFailsCleanly() throws {
        let object = try TestSupport.compileBPFFixture("object_globals.bpf.c")
        for length in stride(from: 0, to: object.count, by: 5) {
            #expect(throws: BPFObjectError.self) { try ObjectSpec(bytes: Array(object[..<length])) }
        }
    }

    @Test func corruptedSectionsNeverTrap() throws {
        let object = try TestSupport.compileBPFFixture("object_globals.bpf.c")
        let elf = try ELFFile(bytes: object)
        // Scribble over the BTF, BTF.ext, symbol table and relocations, a few bytes at a time.
        var state: UInt64 = 0x1234_5678
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let targets = elf.sections.filter { [".BTF", ".BTF.ext", ".symtab", ".relsocket", ".maps"].contains($0.name) }
        #expect(targets.count == 5)
        var failures = 0
        for _ in 0..<1500 {
            var bytes = object
            let section = targets[Int(next() % UInt64(targets.count))]
            for _ in 0..<3 where section.size > 0 {
                bytes[section.offset + Int(next() % UInt64(section.size))] = UInt8(truncatingIfNeeded: next())
            }
            // ObjectSpec throws only BPFObjectError (typed throws).
            do { _ = try ObjectSpec(bytes: bytes) } catch { failures += 1 }
        }
        #expect(failures > 0)
    }
}

extension ObjectSpecMalformedTests {
    /// A data section whose contents lie past the end of the file is an
    /// error naming the section, not a map with an empty initial value.
    @Test func dataSectionOutsideTheFile() throws {
        var bytes = try TestSupport.compileBPFFixture("object_globals.bpf.c")
        let elf = try ELFFile(bytes: bytes)
        let data = try #require(elf.sections.first { $0.name == ".data" })
        let sectionHeaders = bytes[40..<48].reversed().reduce(0) { $0 << 8 | Int($1) }
        // sh_offset (8 bytes at 24 in the 64-byte header) := 2^40.
        let field = sectionHeaders + data.index * 64 + 24
        bytes.replaceSubrange(field..<field + 8, with: [0, 0, 0, 0, 0, 1, 0, 0])
        let error = #expect(throws: BPFObjectError.self) { try ObjectSpec(bytes: bytes) }
        #expect({ if case .elf(.truncated)? = error { true } else { false } }(), "\(String(describing: error))")
        #expect(error?.description.contains(".data") == true, "\(String(describing: error))")
    }
}

extension ObjectSpecMalformedTests {
    /// The input Fuzz/fuzz-object.sh found: a .BTF.ext whose func_info record
    /// size and count are both 0xFFFFFFFF. Their product in the error path
    /// passed Int.max and trapped; now it is an error naming the records.
    @Test func btfExtRecordCountTimesSizeBeyondIntMax() throws {
        var bytes = try TestSupport.compileBPFFixture("object_globals.bpf.c")
        let ext = try #require(try ELFFile(bytes: bytes).sections.first { $0.name == ".BTF.ext" })
        func word(_ at: Int) -> Int { bytes[at..<at + 4].reversed().reduce(0) { $0 << 8 | Int($1) } }
        // Header: magic, version, flags, hdr_len, then func_info_off and _len (relative to the header's end).
        let functionInfo = ext.offset + word(ext.offset + 4) + word(ext.offset + 8)
        // The part starts with the record size, then per section a name offset and a record count.
        for field in [functionInfo, functionInfo + 8] {
            bytes.replaceSubrange(field..<field + 4, with: [0xff, 0xff, 0xff, 0xff])
        }
        let error = #expect(throws: BPFObjectError.self) { try ObjectSpec(bytes: bytes) }
        guard case .btf(.truncated(let what, _, let needed, _))? = error else {
            Issue.record("expected the records to be reported truncated, got \(String(describing: error))")
            return
        }
        #expect(what == "func_info records (4294967295 of 4294967295 bytes)")
        #expect(needed == .max)
    }
}
