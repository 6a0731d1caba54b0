import Foundation
import Testing
import TestSupport

/// bcc's flags of the tools, each run against events the test causes and
/// checked for its effect on what the tool prints.
@Suite(.serialized) struct ToolFlagTests {
    static func columns(_ line: String) -> [String] {
        line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    }

    /// A path no other process opens.
    static func uniquePath(_ label: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(getpid())-\(UUID().uuidString.prefix(8))").path
    }

    /// Waits up to 20 seconds for `path` to exist.
    static func waitForFile(_ path: String) -> Bool {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path) { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    // MARK: - opensnoop

    @Test func opensnoopFlagFilterKeepsOpensWithThoseFlags() throws {
        let tool = try ToolProcess("opensnoop", ["-p", String(getpid()), "-f", "O_WRONLY", "-f", "O_RDWR", "-e"])
        try #require(tool.waitForLine { $0.hasPrefix("PID") } != nil, "stderr: \(tool.standardError)")
        let path = Self.uniquePath("opensnoop-f")
        close(open(path, O_WRONLY | O_CREAT, 0o600))
        defer { unlink(path) }
        close(open(path, O_RDONLY))
        close(open(path, O_RDWR))
        let readWrite = try #require(tool.waitForLine { $0.hasSuffix(" " + path) && Self.columns($0)[4] == "00000002" })
        #expect(Self.columns(readWrite)[0] == String(getpid()))
        let lines = tool.outputLines.filter { $0.hasSuffix(" " + path) }
        // O_WRONLY|O_CREAT with its mode, then O_RDWR; the read-only open is left out.
        #expect(lines.map { Array(Self.columns($0)[4 ... 5]) } == [["00000101", "0600"], ["00000002", "n/a"]], "\(lines)")
        #expect(tool.stop() == 0)

        let bad = try ToolProcess("opensnoop", ["-f", "O_NOSUCH"])
        #expect(bad.waitForExit(timeout: 20) != 0)
        #expect(bad.standardError.contains("Bad flag: O_NOSUCH"))
    }

    @Test func opensnoopFullPathPrefixesTheWorkingDirectory() throws {
        let directory = try TestSupport.temporaryDirectory("opensnoop-F")
        defer { try? FileManager.default.removeItem(at: directory) }
        let name = "relative-\(UUID().uuidString.prefix(8))"
        let flag = directory.appendingPathComponent("go").path
        FileManager.default.createFile(atPath: directory.appendingPathComponent(name).path, contents: nil)
        // The shell opens the relative path itself (a redirection) and lives on, as its cwd is read.
        let child = try ChildProcess("/bin/sh", ["-c", "cd '\(directory.path)'; while [ ! -e go ]; do sleep 0.02; done; "
                                                   + ": < \(name); sleep 5"])
        let tool = try ToolProcess("opensnoop", ["-F", "-p", String(child.pid)])
        try #require(tool.waitForLine { $0.hasPrefix("PID") } != nil, "stderr: \(tool.standardError)")
        FileManager.default.createFile(atPath: flag, contents: nil)
        let line = try #require(tool.waitForLine { $0.hasSuffix("/" + name) }, "output: \(tool.outputLines)")
        #expect(Self.columns(line).last == directory.resolvingSymlinksInPath().path + "/" + name)
        #expect(Self.columns(line)[3] == "0")
        #expect(tool.stop() == 0)
    }

    @Test func opensnoopExecTracesTheCommandAndStopsWithIt() throws {
        let path = Self.uniquePath("opensnoop-exec")
        let tool = try ToolProcess("opensnoop", ["--exec", "cat", path])
        // The command ran only once tracing started, and the tool ended when it did.
        #expect(tool.waitForExit(timeout: 60) == 0, "stderr: \(tool.standardError)")
        let line = try #require(tool.outputLines.first { $0.hasSuffix(" " + path) }, "output: \(tool.outputLines)")
        #expect(Self.columns(line)[1] == "cat")
        #expect(Self.columns(line)[3] == String(ENOENT))
        // Only the command's own process (from its exec on), not this process's opens.
        #expect(Set(tool.outputLines.dropFirst().map { Self.columns($0)[0] }).count == 1, "output: \(tool.outputLines)")

        let both = try ToolProcess("opensnoop", ["-p", "1", "--exec", "true"])
        #expect(both.waitForExit(timeout: 20) != 0)
        #expect(both.standardError.contains("can only use -p or --exec"))
    }

    @Test func opensnoopCgroupMapKeepsTheMapsCgroups() throws {
        let root = try #require(PinnedIDMap.cgroup2Root, "needs a cgroup v2 hierarchy")
        let cgroup = "\(root)/swiftbcc-flags-\(getpid())"
        try FileManager.default.createDirectory(atPath: cgroup, withIntermediateDirectories: false)
        defer { _ = rmdir(cgroup) }
        let map = try PinnedIDMap(label: "cgroupmap", ids: [try PinnedIDMap.cgroupID(cgroup)], valueSize: 8)
        defer { map.remove() }
        let inside = Self.uniquePath("opensnoop-cgroup-in"), outside = Self.uniquePath("opensnoop-cgroup-out")
        let done = Self.uniquePath("opensnoop-cgroup-done")
        FileManager.default.createFile(atPath: inside, contents: nil)
        defer { unlink(done); unlink(inside) }
        let tool = try ToolProcess("opensnoop", ["--cgroupmap", map.path])
        try #require(tool.waitForLine { $0.hasPrefix("PID") } != nil, "stderr: \(tool.standardError)")
        // This process (outside the cgroup) opens first; a child moved into it opens next.
        _ = open(outside, O_RDONLY)
        let child = try ChildProcess("/bin/sh", ["-c", "echo $$ > \(cgroup)/cgroup.procs && : < \(inside); : > \(done)"],
                                     stderr: "/dev/null")
        #expect(child.waitForExit(timeout: 20) == 0)
        let line = try #require(tool.waitForLine { $0.hasSuffix(" " + inside) }, "output: \(tool.outputLines)")
        #expect(Self.columns(line)[0] == String(child.pid))
        #expect(tool.stop() == 0)
        #expect(!tool.outputLines.contains { $0.hasSuffix(" " + outside) })
        #expect(tool.outputLines.allSatisfy { $0.hasPrefix("PID") || Self.columns($0)[0] == String(child.pid) })
    }

    @Test func opensnoopMountNamespaceMapKeepsTheMapsNamespaces() throws {
        let map = try PinnedIDMap(label: "mntnsmap", ids: [try PinnedIDMap.mountNamespace(of: "self")], valueSize: 4)
        defer { map.remove() }
        let inside = Self.uniquePath("opensnoop-mntns-in"), outside = Self.uniquePath("opensnoop-mntns-out")
        let tool = try ToolProcess("opensnoop", ["--mntnsmap", map.path])
        try #require(tool.waitForLine { $0.hasPrefix("PID") } != nil, "stderr: \(tool.standardError)")
        // A child in a mount namespace of its own opens first; this process (in the map's) next.
        let child = try ChildProcess("/usr/bin/unshare", ["-m", "/bin/sh", "-c", ": < \(outside)"], stderr: "/dev/null")
        #expect(child.waitForExit(timeout: 20) != nil)
        _ = open(inside, O_RDONLY)
        let line = try #require(tool.waitForLine { $0.hasSuffix(" " + inside) }, "output: \(tool.outputLines)")
        #expect(Self.columns(line)[0] == String(getpid()))
        #expect(tool.stop() == 0)
        #expect(!tool.outputLines.contains { $0.hasSuffix(" " + outside) })

        let missing = try ToolProcess("opensnoop", ["--mntnsmap", "/sys/fs/bpf/swiftbcc-no-such-map"])
        #expect(missing.waitForExit(timeout: 20) != 0)
        #expect(missing.standardError.contains("no BPF map is pinned at '/sys/fs/bpf/swiftbcc-no-such-map'"))
    }
}
