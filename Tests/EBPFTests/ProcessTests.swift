import Foundation
import Testing
import TestSupport

/// Scenarios that need a process of their own, run in ebpf-test-helper
/// (built beside the test bundle by `swift build` / `swift test`).
@Suite struct ProcessTests {
    static var helper: String { TestSupport.builtProduct("ebpf-test-helper") }

    @Test func droppedPrivilegesGetThePermissionErrorWithAdvice() throws {
        try #require(TestSupport.isRoot, "this test drops root privileges, so it must start as root")
        try #require(FileManager.default.isExecutableFile(atPath: Self.helper), "missing \(Self.helper): run swift build")
        let result = try TestSupport.run(Self.helper, ["unprivileged"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        for line in lines {
            #expect(line.contains("permission denied"))
            #expect(line.contains("run as root, or with CAP_BPF and CAP_PERFMON"))
        }
        #expect(lines.first?.contains("LRU hash map 'unprivileged'") == true)
        #expect(lines.last?.contains("tracepoint program 'unprivileged'") == true)
    }

    @Test func mapsAndProgramsLeakNoDescriptors() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.helper), "missing \(Self.helper): run swift build")
        let result = try TestSupport.run(Self.helper, ["fd-leak"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasPrefix("descriptors before"))
    }
}
