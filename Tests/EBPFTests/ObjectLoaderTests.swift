import BPFObject
import EBPF
import Foundation
import Testing
import TestSupport

/// Loading clang-built objects into the real kernel.
@Suite(.serialized) struct ObjectLoaderTests {
    /// What mix_to(n) in object_globals.bpf.c computes.
    static func mix(_ n: UInt64) -> UInt64 { (1...n).reduce(0) { $0 * 3 + $1 } }

    static func value(_ map: Map?, key: UInt32) throws -> UInt64? {
        guard let bytes = try #require(map).lookup(key: withUnsafeBytes(of: key) { Array($0) }) else { return nil }
        return bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
    }

    /// A socket filter test run needs at least an Ethernet header of data.
    static let packet = [UInt8](repeating: 0, count: 64)

    @Test func globalsLiteralLoopAndSubprogramRun() throws {
        #expect(TestSupport.isRoot, "these tests load BPF programs and need root")
        let loader = try BPFObjectLoader(bytes: TestSupport.compileBPFFixture("object_globals.bpf.c"), name: "object_globals.o")
        let object = try loader.load()
        #expect(Set(object.maps.keys).isSuperset(of: ["results", "greetings", ".rodata", ".data", ".bss"]))
        let program = try #require(object.programs["run_globals"])
        #expect(try program.testRun(data: Self.packet).retval == 0)
        #expect(try Self.value(object.maps["results"], key: 0) == Self.mix(5))
        #expect(try Self.value(object.maps["results"], key: 1) == 1)
        let greeting = try #require(try object.maps["greetings"]?.lookup(key: [0, 0, 0, 0]))
        #expect(greeting == Array("hello, rodata\0".utf8))
        #expect(try program.testRun(data: Self.packet).retval == 0)
        #expect(try object.global("runs", as: UInt64.self) == 2)
        #expect(try object.global("limit", as: UInt32.self) == 5)
        object.close()
        #expect(object.isClosed)
        #expect(object.programs.values.allSatisfy { !$0.fd.isOpen } && object.maps.values.allSatisfy { !$0.fd.isOpen })
        #expect(object.btf?.isOpen == false)
    }

    @Test func rodataSetFromSwiftChangesBehaviour() throws {
        let loader = try BPFObjectLoader(bytes: TestSupport.compileBPFFixture("object_globals.bpf.c"))
        try loader.setGlobal("multiplier", to: UInt32(7))
        try loader.setGlobal("limit", to: UInt32(4))
        let object = try loader.load()
        defer { object.close() }
        _ = try #require(object.programs["run_globals"]).testRun(data: Self.packet)
        #expect(try Self.value(object.maps["results"], key: 0) == Self.mix(4) * 7)
        #expect(try object.global("multiplier", as: UInt32.self) == 7)
        // .rodata is frozen: user space can no longer change it.
        expectBPFError(.invalidArgument) { try object.maps[".rodata"]?.update(key: [0, 0, 0, 0], value: [1, 0, 0, 0]) }
    }

    @Test func callbackAddressIsLinkedLikeACall() throws {
        let object = try BPFObjectLoader(bytes: TestSupport.compileBPFFixture("object_callback.bpf.c")).load()
        defer { object.close() }
        let program = try #require(object.spec.program(named: "sum_squares"))
        #expect(program.functionInfo.count == 2)
        _ = try #require(object.programs["sum_squares"]).testRun(data: Self.packet)
        #expect(try Self.value(object.maps["sums"], key: 0) == (0..<10).reduce(0) { $0 + $1 * $1 })
    }

    @Test func hiddenAndVisibleGlobalSubprogramsRun() throws {
        let object = try BPFObjectLoader(bytes: TestSupport.compileBPFFixture("object_linkage.bpf.c")).load()
        defer { object.close() }
        #expect(try #require(object.programs["use_subprograms"]).testRun(data: Self.packet).retval == 13)
    }

    @Test func setGlobalChecksNameAndSize() throws {
        let loader = try BPFObjectLoader(bytes: TestSupport.compileBPFFixture("object_globals.bpf.c"), name: "globals.o")
        #expect(throws: BPFError.invalidArgument(operation: "set global", object: "variable 'multiplier' in globals.o",
                                                 detail: "the variable is 4 bytes, the value 8")) {
            try loader.setGlobal("multiplier", to: UInt64(7))
        }
        #expect(throws: BPFError.notFound(what: "global variable 'no_such_variable' in globals.o")) {
            try loader.setGlobal("no_such_variable", to: UInt32(1))
        }
    }

    @Test func verifierRejectionNamesTheSourceLine() throws {
        let source = try String(contentsOf: TestSupport.fixturesDirectory.appendingPathComponent("object_rejected.bpf.c"), encoding: .utf8)
        let line = try #require(source.split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0.contains("REJECTED HERE") }) + 1
        let loader = try BPFObjectLoader(bytes: TestSupport.compileBPFFixture("object_rejected.bpf.c"))
        let error = expectBPFError(.verifierRejected) { try loader.load() }
        guard case let .verifierRejected(program, log)? = error else {
            Issue.record("expected a verifier rejection, got \(String(describing: error))")
            return
        }
        #expect(program == "unchecked_lookup")
        #expect(log.contains("object_rejected.bpf.c:\(line)"))
        #expect(log.contains("*counter += 1;"))
        #expect(log.contains("map_value_or_null"))
    }

    @Test func coreRelocationsMatchingTheKernelAreAccepted() throws {
        let object = try BPFObjectLoader(bytes: TestSupport.compileBPFFixture("object_core.bpf.c")).load()
        defer { object.close() }
        #expect(object.spec.programs.first?.coreRelocations.map(\.kind) == [0, 2, 9, 11])
        _ = try #require(object.programs["core_offsets"]).testRun(data: Self.packet)
        #expect(try Self.value(object.maps["offsets"], key: 0) == 8)   // offsetof(struct list_head, prev)
        #expect(try Self.value(object.maps["offsets"], key: 2) == 1)   // list_head.next exists
        #expect(try Self.value(object.maps["offsets"], key: 3) == 16)  // sizeof(struct list_head)
        #expect(try Self.value(object.maps["offsets"], key: 4) == 3)   // PIDTYPE_SID
    }

    @Test func coreRelocationContradictingTheKernelFails() throws {
        let loader = try BPFObjectLoader(bytes: TestSupport.compileBPFFixture("object_core.bpf.c", extraFlags: ["-DMISMATCH"]),
                                         name: "object_core.o")
        let error = expectBPFError(.object) { try loader.load() }
        guard case .object(.unsupported(let what, _)) = error else {
            Issue.record("expected an unsupported CO-RE relocation, got \(String(describing: error))")
            return
        }
        #expect(what.hasPrefix("CO-RE relocation at instruction"))
        let message = error?.description ?? ""
        #expect(message.contains("program 'core_offsets' in object_core.o"))
        #expect(message.contains("STRUCT task_struct access 0:0 (.pid) is at byte 0, 4 bytes in the object but at byte"))
    }

    /// Loads that succeed, and loads that fail partway (verifier, CO-RE),
    /// leave no descriptor behind; counted in a process of its own.
    @Test func loadingAndClosingLeaksNoDescriptors() throws {
        try #require(FileManager.default.isExecutableFile(atPath: ProcessTests.helper), "missing \(ProcessTests.helper): run swift build")
        let directory = try TestSupport.temporaryDirectory("objects")
        defer { try? FileManager.default.removeItem(at: directory) }
        var paths: [String] = []
        for (fixture, flags) in [("object_globals.bpf.c", []), ("object_rejected.bpf.c", []), ("object_core.bpf.c", ["-DMISMATCH"])] {
            let path = directory.appendingPathComponent("\(paths.count).o")
            try Data(TestSupport.compileBPFFixture(fixture, extraFlags: flags)).write(to: path)
            paths.append(path.path)
        }
        let result = try TestSupport.run(ProcessTests.helper, ["object-fd-leak"] + paths)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasPrefix("descriptors before"))
    }

    @Test func malformedObjectIsAnError() {
        let error = expectBPFError(.object) { try BPFObjectLoader(bytes: [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]) }
        guard case .object(.elf) = error else {
            Issue.record("expected the ELF layer's error, got \(String(describing: error))")
            return
        }
        #expect(throws: BPFError.notFound(what: "BPF object file /nonexistent/x.o")) { try BPFObjectLoader(path: "/nonexistent/x.o") }
    }
}
