import Foundation
import Glibc
import Testing
import TestSupport
@testable import EBPF

/// Programs of a clang-built object attached by their section names, with the
/// links owned by the loaded object.
@Suite struct AttachObjectTests {
    private static func load(_ fixture: String) throws -> LoadedObject {
        try BPFObjectLoader(bytes: try TestSupport.compileBPFFixture(fixture), name: fixture).load()
    }

    private static func count(_ object: LoadedObject, _ map: String, tgid: Int32, tid: Int32) throws -> UInt64 {
        let key = UInt64(UInt32(bitPattern: tgid)) << 32 | UInt64(UInt32(bitPattern: tid))
        return try #require(object.maps[map]).lookup(key, as: UInt64.self) ?? 0
    }

    @Test func attachAllByTheSectionsAndCloseDetachesEverything() throws {
        let object = try Self.load("attach_programs.bpf.c")
        defer { object.close() }
        let links = try object.attachAll()
        #expect(Set(links.keys) == ["count_exec", "count_raw", "count_tp_btf", "count_getsid", "count_getsid_return"])
        #expect(links["count_exec"]?.target == "tracepoint sched/sched_process_exec")
        #expect(links["count_tp_btf"]?.target == "tp_btf sys_enter")
        let sampling = try PerfEventLink(
            program: try #require(object.programs["count_samples"]), sampling: .frequency(1000))
        object.adopt(sampling)
        let descriptors = Descriptors.snapshot(
            links.values.flatMap(Self.descriptorNumbers) + sampling.resources.descriptorNumbers)

        let tid = try RunCounter.currentThreadID()
        let pid = getpid()
        for _ in 0..<6 { _ = getsid(0) }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let deadline = Date().addingTimeInterval(0.3)
        var spin: UInt64 = 0
        while Date() < deadline { spin &+= 1 }

        #expect(try Self.count(object, "getsid_counts", tgid: pid, tid: tid) == 6)
        #expect(try Self.count(object, "getsid_return_counts", tgid: pid, tid: tid) == 6)
        #expect(try Self.count(object, "raw_counts", tgid: pid, tid: tid) >= 6)
        #expect(try Self.count(object, "tp_btf_counts", tgid: pid, tid: tid) >= 6)
        let childPID = child.processIdentifier
        #expect(try Self.count(object, "exec_counts", tgid: childPID, tid: childPID) == 1)
        #expect(try Self.count(object, "sample_counts", tgid: pid, tid: tid) > 0)

        object.close()
        #expect(links.values.allSatisfy(\.isClosed) && sampling.isClosed)
        #expect(Descriptors.allClosed(descriptors))
    }

    @Test func attachOneProgramAndRefuseOnesWithoutTarget() throws {
        let object = try Self.load("attach_programs.bpf.c")
        defer { object.close() }
        let link = try object.attach(program: "count_getsid")
        #expect(link.target.hasPrefix("uprobe ") && link.target.hasSuffix(":getsid"))
        let tid = try RunCounter.currentThreadID()
        for _ in 0..<4 { _ = getsid(0) }
        #expect(try Self.count(object, "getsid_counts", tgid: getpid(), tid: tid) == 4)
        link.close()  // Early close, then the object's close: detached once.

        let noTarget = expectBPFError(.invalidArgument) { try object.attach(program: "count_samples") }
        #expect(noTarget?.description.contains("perf_event") == true)
        expectBPFError(.notFound) { try object.attach(program: "no_such_program") }
    }

    /// On a kernel without kprobes the whole attachAll fails with the
    /// not-supported error, and the tracepoint it attached first is detached again.
    @Test func failedAttachAllLeavesNothingAttached() throws {
        let object = try Self.load("attach_kprobe.bpf.c")
        defer { object.close() }
        let kprobeEvents = try Tracefs.root() + "/kprobe_events"
        let kprobes = FileManager.default.fileExists(atPath: "/sys/bus/event_source/devices/kprobe/type")
            || FileManager.default.fileExists(atPath: kprobeEvents)
        guard !kprobes else {
            #expect(try object.attachAll().count == 2)
            return
        }
        let error = expectBPFError(.notSupported) { try object.attachAll() }
        #expect(error?.description.contains("CONFIG_KPROBES") == true)

        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let childPID = child.processIdentifier
        #expect(try Self.count(object, "exec_counts", tgid: childPID, tid: childPID) == 0)
    }

    private static func descriptorNumbers(_ link: any Link) -> [Int32] {
        switch link {
        case let link as TracepointLink: return link.resources.descriptorNumbers
        case let link as RawTracepointLink: return link.resources.descriptorNumbers
        case let link as TracingLink: return link.resources.descriptorNumbers
        case let link as UprobeLink: return link.resources.descriptorNumbers
        case let link as KprobeLink: return link.resources.descriptorNumbers
        case let link as PerfEventLink: return link.resources.descriptorNumbers
        default: return []
        }
    }
}
