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

    /// Opens `path` `count` times from this thread, as fast as it can.
    static func storm(_ path: String, count: Int) {
        for _ in 0 ..< count {
            let fd = open(path, O_RDONLY)
            if fd >= 0 { close(fd) }
        }
    }

    /// The lines of a stopped opensnoop: events for `path`, and the drop reports.
    static func stormCounts(_ lines: [String], path: String) -> (printed: Int, reported: Int, total: Int?) {
        let printed = lines.filter { $0.hasSuffix(" " + path) }.count
        let reported = lines.compactMap { line -> Int? in
            guard line.hasPrefix("Possibly lost "), line.hasSuffix(" samples") else { return nil }
            return Int(columns(line)[2])
        }.reduce(0, +)
        let total = lines.last { $0.hasPrefix("Lost ") && $0.hasSuffix(" samples in total") }.flatMap { Int(columns($0)[1]) }
        return (printed, reported, total)
    }

    @Test func opensnoopReportsEveryRecordATinyRingDropped() throws {
        // One page per CPU and a burst from this thread: most records find the ring full.
        let tid = TestSupport.threadID()
        let tool = try ToolProcess("opensnoop", ["-b", "1", "-t", String(tid)])
        try #require(tool.waitForLine { $0.hasPrefix("TID") } != nil, "stderr: \(tool.standardError)")
        let path = Self.uniquePath("opensnoop-storm")
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let generated = 20_000
        Self.storm(path, count: generated)
        // Stopped without reading its output in between, so no other open of this thread is in flight.
        usleep(300_000)
        #expect(tool.stop() == 0)
        let (printed, reported, total) = Self.stormCounts(tool.outputLines, path: path)
        #expect(reported > 0, "a one-page ring kept up with \(generated) opens")
        #expect(total == reported)
        #expect(printed + reported == generated, "printed \(printed), reported lost \(reported)")
    }

    @Test func opensnoopKeepsUpWithAStormWithItsDefaultBuffer() throws {
        let tid = TestSupport.threadID()
        let tool = try ToolProcess("opensnoop", ["-t", String(tid)])
        try #require(tool.waitForLine { $0.hasPrefix("TID") } != nil, "stderr: \(tool.standardError)")
        let path = Self.uniquePath("opensnoop-default-storm")
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let generated = 50_000
        Self.storm(path, count: generated)
        usleep(500_000)
        #expect(tool.stop() == 0)
        let (printed, reported, total) = Self.stormCounts(tool.outputLines, path: path)
        #expect(total ?? 0 == reported)
        #expect(printed + reported == generated, "printed \(printed), reported lost \(reported)")
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
