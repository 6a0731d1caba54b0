import BPFObject
import EBPF
import Testing
import TestSupport

/// Every section convention loads as the program type the kernel expects.
@Suite(.serialized) struct ObjectProgramKindsTests {
    static let packet = [UInt8](repeating: 0, count: 64)

    @Test func everyConventionLoads() throws {
        let object = try BPFObjectLoader(bytes: TestSupport.compileBPFFixture("object_kinds.bpf.c"), name: "object_kinds.o").load()
        defer { object.close() }
        let expected: [String: ProgramType] = [
            "first_filter": .socketFilter, "second_filter": .socketFilter, "on_raw_sys_enter": .rawTracepoint,
            "on_getpid": .tracepoint, "on_switch": .tracing, "on_sample": .perfEvent,
            "on_kprobe": .kprobe, "on_uprobe": .kprobe,
        ]
        #expect(Set(object.programs.keys) == Set(expected.keys))
        for (name, type) in expected {
            #expect(object.programs[name]?.type == type, "\(name)")
        }
        // The perf event array gets one slot per possible CPU.
        #expect(object.maps["samples"]?.maxEntries == (try PossibleCPUs.count()))
        #expect(object.maps["records"]?.type == .ringBuffer)
        #expect(object.maps["sized"]?.flags == 1)
    }

    /// fentry/fexit load with their target's kernel BTF id, or, where the
    /// kernel forbids BPF trampolines, fail with the precise not-supported error.
    @Test func fentryAndFexitLoadOrAreNotSupported() throws {
        let loader = try BPFObjectLoader(bytes: TestSupport.compileBPFFixture("object_fentry.bpf.c"))
        if (try? TracingLink.requireTrampolines()) == nil {
            let error = expectBPFError(.notSupported) { try loader.load() }
            guard case .notSupported(let feature, _)? = error else {
                Issue.record("expected .notSupported, got \(String(describing: error))")
                return
            }
            #expect(feature.contains("fentry"))
            return
        }
        let object = try loader.load()
        defer { object.close() }
        #expect(object.programs["on_unlinkat_entry"]?.type == .tracing)
        #expect(object.programs["on_unlinkat_exit"]?.type == .tracing)
    }

    @Test func programsSharingASectionRunApart() throws {
        let object = try BPFObjectLoader(bytes: TestSupport.compileBPFFixture("object_kinds.bpf.c")).load()
        defer { object.close() }
        let first = try #require(object.programs["first_filter"])
        let second = try #require(object.programs["second_filter"])
        #expect(try first.testRun(data: Self.packet).retval == 1)
        #expect(try second.testRun(data: Self.packet).retval == 2)
        // A raw tracepoint program runs once per test run, with no data.
        _ = try #require(object.programs["on_raw_sys_enter"]).testRun()
        let hits = try #require(try object.maps["hits"]?.lookup(key: [0, 0, 0, 0]))
        #expect(hits.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } == 3)
    }
}
