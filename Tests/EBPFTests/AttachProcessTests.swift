import Foundation
import Testing
import TestSupport

/// Attach scenarios that need a process of their own (exact descriptor
/// counts, a private mount namespace, dropped privileges), run in ebpf-test-helper.
@Suite struct AttachProcessTests {
    private static let unshare = ["/usr/bin/unshare", "/bin/unshare"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Every link kind, attached and detached repeatedly: the same descriptors
    /// before and after, and no uprobe definitions left in tracefs.
    @Test func linksLeakNoDescriptorsOrProbes() throws {
        try #require(FileManager.default.isExecutableFile(atPath: ProcessTests.helper), "missing helper: run swift build")
        let target = try TestSupport.compileHostProgram("uprobe_target.c", extraFlags: ["-fPIE", "-pie"])
        defer { try? FileManager.default.removeItem(at: target.deletingLastPathComponent()) }
        let result = try TestSupport.run(ProcessTests.helper, ["attach-leak", target.path])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasPrefix("descriptors before"))
    }

    /// With tracefs unmounted, finding it mounts it (as root) ...
    @Test func missingTracefsIsMounted() throws {
        let unshare = try #require(Self.unshare, "needs util-linux unshare for a private mount namespace")
        let result = try TestSupport.run(unshare, ["-m", "--propagation", "private", ProcessTests.helper, "tracefs-mount"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("tracefs at /sys/kernel/tracing, trace_pipe present"))
    }

    /// ... and without root the error says how to mount it.
    @Test func missingTracefsWithoutRootSaysHowToMount() throws {
        let unshare = try #require(Self.unshare, "needs util-linux unshare for a private mount namespace")
        let result = try TestSupport.run(
            unshare, ["-m", "--propagation", "private", ProcessTests.helper, "tracefs-unprivileged"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("mount -t tracefs nodev /sys/kernel/tracing"))
    }
}
