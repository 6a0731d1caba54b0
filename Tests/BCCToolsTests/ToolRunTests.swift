import Foundation
import Testing
import TestSupport

/// Each tool run against events this test makes, checking the lines it prints.
@Suite(.serialized) struct ToolRunTests {
    static func columns(_ line: String) -> [String] {
        line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    }

    /// A path no other process opens.
    static func uniquePath(_ label: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(getpid())-\(UUID().uuidString.prefix(8))").path
    }

    @Test func opensnoopShowsThisProcesssOpens() throws {
        let tool = try ToolProcess("opensnoop", ["-p", String(getpid())])
        let header = tool.waitForLine { $0.hasPrefix("PID") }
        try #require(header == "PID    COMM               FD ERR PATH", "stderr: \(tool.standardError)")
        let existing = Self.uniquePath("opensnoop-ok")
        _ = FileManager.default.createFile(atPath: existing, contents: Data("x".utf8))
        defer { try? FileManager.default.removeItem(atPath: existing) }
        let missing = Self.uniquePath("opensnoop-missing")
        let fd = open(existing, O_RDONLY)
        close(fd)
        #expect(open(missing, O_RDONLY) == -1)
        let okLine = try #require(tool.waitForLine { $0.hasSuffix(" " + existing) && Self.columns($0)[3] == "0" })
        let okColumns = Self.columns(okLine)
        #expect(okColumns[0] == String(getpid()))
        #expect(Int(okColumns[2]).map { $0 >= 0 } == true)
        let failLine = try #require(tool.waitForLine { $0.hasSuffix(" " + missing) })
        let failColumns = Self.columns(failLine)
        #expect(failColumns[0] == String(getpid()))
        #expect(failColumns[failColumns.count - 3] == "-1")
        #expect(failColumns[failColumns.count - 2] == String(ENOENT))
        #expect(tool.stop() == 0)
    }

    @Test func opensnoopFailedOnlyWithTimestampsAndDuration() throws {
        let tool = try ToolProcess("opensnoop", ["-x", "-T", "-p", String(getpid()), "-d", "3"])
        try #require(tool.waitForLine { $0.hasPrefix("TIME(s)") } != nil, "stderr: \(tool.standardError)")
        let existing = Self.uniquePath("opensnoop-x-ok")
        _ = FileManager.default.createFile(atPath: existing, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: existing) }
        let missing = Self.uniquePath("opensnoop-x-missing")
        close(open(existing, O_RDONLY))
        _ = open(missing, O_RDONLY)
        let line = try #require(tool.waitForLine { $0.hasSuffix(" " + missing) })
        #expect(Double(Self.columns(line)[0]) != nil)
        // -d 3 ends the tool by itself.
        #expect(tool.waitForExit(timeout: 15) == 0)
        #expect(!tool.outputLines.contains { $0.hasSuffix(" " + existing) })
    }

    @Test func opensnoopNameFilter() throws {
        let tool = try ToolProcess("opensnoop", ["-n", "cat", "-d", "20"])
        try #require(tool.waitForLine { $0.hasPrefix("PID") } != nil, "stderr: \(tool.standardError)")
        let path = Self.uniquePath("opensnoop-cat")
        _ = FileManager.default.createFile(atPath: path, contents: Data("hello".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try ChildProcess.run("/bin/cat", [path]) == 0)
        let line = try #require(tool.waitForLine { $0.hasSuffix(" " + path) })
        #expect(Self.columns(line)[1] == "cat")
        #expect(tool.stop() == 0)
        #expect(tool.outputLines.dropFirst().allSatisfy { Self.columns($0)[1].contains("cat") })
    }

    @Test func execsnoopShowsAnExecAndAFailedOne() throws {
        let tool = try ToolProcess("execsnoop", ["-x"])
        let header = tool.waitForLine { $0.hasPrefix("COMM") }
        try #require(header == "COMM             PID     PPID    RET ARGS", "stderr: \(tool.standardError)")
        let token = "swift-bcc-\(UUID().uuidString.prefix(8))"
        let child = try ChildProcess("/bin/echo", [token, "second arg"])
        #expect(child.waitForExit(timeout: 10) == 0)
        let line = try #require(tool.waitForLine { $0.contains(token) })
        let columns = Self.columns(line)
        #expect(columns[0] == "echo")
        #expect(columns[1] == String(child.pid))
        #expect(columns[2] == String(getpid()))
        #expect(columns[3] == "0")
        #expect(line.hasSuffix(" /bin/echo \(token) second arg"))
        // A shell's exec of a missing file fails with ENOENT.
        let missing = "/nonexistent-\(token)"
        try ChildProcess.run("/bin/sh", ["-c", "exec \(missing) 2>/dev/null"])
        let failed = try #require(tool.waitForLine { $0.hasSuffix(" " + missing) })
        #expect(Self.columns(failed)[3] == String(-ENOENT))
        #expect(tool.stop(signal: SIGTERM) == 0)
    }

    @Test func runqlatPrintsAHistogram() throws {
        let tool = try ToolProcess("runqlat", ["-d", "2"])
        try #require(tool.waitForLine { $0.hasPrefix("Tracing run queue latency") } != nil,
                     "stderr: \(tool.standardError)")
        // Wake-ups to measure: short sleeps in a few threads.
        let group = DispatchGroup()
        for _ in 0 ..< 4 {
            DispatchQueue.global().async(group: group) {
                for _ in 0 ..< 50 { usleep(1000) }
            }
        }
        group.wait()
        #expect(tool.waitForExit(timeout: 20) == 0)
        let lines = tool.outputLines
        let header = try #require(lines.firstIndex(of: "     usecs               : count     distribution"))
        #expect(lines[header - 1] == "")
        let rows = lines[(header + 1)...].filter { $0.contains(" -> ") }
        #expect(!rows.isEmpty)
        let total = rows.compactMap { Int(Self.columns($0)[4]) }.reduce(0, +)
        #expect(total > 0)
    }

    @Test func runqlatPerProcessIntervalsInMilliseconds() throws {
        let tool = try ToolProcess("runqlat", ["-m", "-P", "-p", String(getpid()), "1", "1"])
        try #require(tool.waitForLine { $0.hasPrefix("Tracing run queue latency") } != nil,
                     "stderr: \(tool.standardError)")
        let group = DispatchGroup()
        for _ in 0 ..< 4 {
            DispatchQueue.global().async(group: group) {
                for _ in 0 ..< 100 { usleep(1000) }
            }
        }
        group.wait()
        #expect(tool.waitForExit(timeout: 20) == 0)
        let lines = tool.outputLines
        #expect(lines.contains("pid = \(getpid())"))
        #expect(lines.contains("     msecs               : count     distribution"))
    }

    @Test func execsnoopParentCommandAndQuotes() throws {
        let tool = try ToolProcess("execsnoop", ["-M", "-q", "-l", "swift-bcc-quoted", "-d", "20"])
        let header = tool.waitForLine { $0.hasPrefix("COMM") }
        try #require(header == "COMM             PID     PCOMM            PPID    RET ARGS", "stderr: \(tool.standardError)")
        #expect(try ChildProcess.run("/bin/sh", ["-c", "/bin/echo swift-bcc-quoted >/dev/null"]) == 0)
        let line = try #require(tool.waitForLine { $0.hasSuffix("\"/bin/echo\" \"swift-bcc-quoted\"") })
        let columns = Self.columns(line)
        #expect(columns[0] == "echo")
        // The shell forked echo: it is the parent command.
        #expect(columns[2] == "sh")
        #expect(tool.stop() == 0)
    }
}
