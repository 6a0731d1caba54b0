import Foundation
import Testing
import TestSupport

/// cpudist, offcputime, wakeuptime, runqslower, runqlen, profile, hardirqs
/// and softirqs against children that sleep in a loop or spin.
@Suite(.serialized) struct SchedulerToolTests {
    static func columns(_ line: String) -> [String] {
        line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    }

    /// A shell that sleeps 10 ms at a time: it blocks in wait4 while its
    /// `sleep` child runs, and is woken by that child's exit.
    static func sleeper() throws -> ChildProcess {
        try ChildProcess("/bin/sh", ["-c", "while :; do sleep 0.01; done"])
    }

    /// A shell that spins on the CPU.
    static func spinner() throws -> ChildProcess {
        try ChildProcess("/bin/sh", ["-c", "while :; do :; done"])
    }

    /// The rows' counts of a histogram ("  lo -> hi : count |***|" or "  n : count |***|").
    static func histogramTotal(_ lines: some Sequence<String>) -> Int {
        lines.filter { $0.contains(" : ") && $0.hasSuffix("|") }.compactMap { line in
            line.split(separator: ":", maxSplits: 1).last.flatMap { Int($0.split(separator: " ").first ?? "") }
        }.reduce(0, +)
    }

    @Test func cpudistPerProcessOnAndOffCPU() throws {
        let child = try Self.sleeper()
        for (arguments, title) in [(["-P", "-p", String(child.pid), "2", "1"], "on"),
                                   (["-O", "-P", "-m", "-p", String(child.pid), "2", "1"], "off")] {
            let tool = try ToolProcess("cpudist", arguments)
            try #require(tool.waitForLine { $0 == "Tracing \(title)-CPU time... Hit Ctrl-C to end." } != nil,
                         "stderr: \(tool.standardError)")
            #expect(tool.waitForExit(timeout: 20) == 0)
            let lines = tool.outputLines
            let section = try #require(lines.firstIndex(of: "pid = \(child.pid) sh"), "output: \(lines)")
            #expect(lines[section + 1].hasPrefix(title == "on" ? "     usecs" : "     msecs"))
            // Some hundred sleeps in two seconds, each a switch out and back in.
            #expect(Self.histogramTotal(lines[(section + 1)...]) >= 20)
            #expect(!lines.contains { $0.hasPrefix("pid = ") && $0 != "pid = \(child.pid) sh" })
        }
    }

    @Test func offcputimeFoldsTheSleepersKernelStacks() throws {
        let child = try Self.sleeper()
        let tool = try ToolProcess("offcputime", ["-K", "-f", "-p", String(child.pid), "2"])
        #expect(tool.waitForExit(timeout: 30) == 0, "stderr: \(tool.standardError)")
        let lines = tool.outputLines
        #expect(!lines.isEmpty, "stderr: \(tool.standardError)")
        #expect(lines.allSatisfy { $0.hasPrefix("sh;") }, "output: \(lines)")
        // The shell waits for each sleep in wait4, blocked in the scheduler.
        let waits = lines.filter { $0.contains("wait") && $0.contains("schedule") }
        #expect(!waits.isEmpty, "output: \(lines)")
        let total = lines.compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }.reduce(0, +)
        // Off CPU for most of two seconds, in microseconds.
        #expect(total > 500_000 && total <= 2_500_000, "total \(total)")
    }

    @Test func offcputimeMultiLineWithUserStacks() throws {
        let child = try Self.sleeper()
        let tool = try ToolProcess("offcputime", ["-p", String(child.pid), "-d", "1"])
        try #require(tool.waitForLine { $0.hasPrefix("Tracing off-CPU time") }
            == "Tracing off-CPU time (us) of PIDs \(child.pid) by user + kernel stack for 1 secs.", "stderr: \(tool.standardError)")
        #expect(tool.waitForExit(timeout: 30) == 0)
        let lines = tool.outputLines
        let footer = try #require(lines.firstIndex(of: "    -                sh (\(child.pid))"), "output: \(lines)")
        #expect(Int(lines[footer + 1].trimmingCharacters(in: .whitespaces)).map { $0 > 0 } == true)
        #expect(lines.contains("    --"))
    }

    @Test func wakeuptimeShowsSleepWakingTheShell() throws {
        let child = try Self.sleeper()
        let tool = try ToolProcess("wakeuptime", ["-f", "-p", String(child.pid), "2"])
        #expect(tool.waitForExit(timeout: 30) == 0, "stderr: \(tool.standardError)")
        let lines = tool.outputLines
        // waker;frames...;target value: the exiting sleep wakes the waiting shell.
        let line = try #require(lines.first { $0.hasPrefix("sleep;") && $0.contains(";sh ") }, "output: \(lines)")
        #expect(Int(line.split(separator: " ").last ?? "").map { $0 > 0 } == true)
        #expect(lines.allSatisfy { $0.split(separator: " ").first?.hasSuffix(";sh") == true })
    }

    @Test func runqslowerShowsTheChildsWaits() throws {
        let child = try Self.sleeper()
        let tool = try ToolProcess("runqslower", ["-P", "-p", String(child.pid), "0"])
        try #require(tool.waitForLine { $0.hasPrefix("TIME") } == "TIME     COMM             TID           LAT(us) PREV COMM        PREV TID",
                     "stderr: \(tool.standardError)")
        let line = try #require(tool.waitForLine { Self.columns($0).count >= 5 && Self.columns($0)[2] == String(child.pid) })
        let columns = Self.columns(line)
        #expect(columns[1] == "sh")
        #expect(UInt64(columns[3]) != nil)
        #expect(columns[0].count == 8 && columns[0].filter { $0 == ":" }.count == 2)
        #expect(tool.stop(signal: SIGTERM) == 0)
    }

    @Test func runqlenSamplesEveryCPU() throws {
        let tool = try ToolProcess("runqlen", ["-T", "1", "1"])
        try #require(tool.waitForLine { $0.hasPrefix("Sampling run queue length") } != nil, "stderr: \(tool.standardError)")
        #expect(tool.waitForExit(timeout: 20) == 0)
        let lines = tool.outputLines
        let header = try #require(lines.firstIndex(of: "     runqlen       : count     distribution"), "output: \(lines)")
        // 99 Hz on each CPU for a second (the clock only ticks while the CPU is not idle in NO_HZ).
        let total = Self.histogramTotal(lines[(header + 1)...])
        #expect(total > 10 && total <= 99 * ProcessInfo.processInfo.activeProcessorCount * 2, "total \(total)")

        let occupancy = try ToolProcess("runqlen", ["-C", "-O", "1", "1"])
        #expect(occupancy.waitForExit(timeout: 20) == 0, "stderr: \(occupancy.standardError)")
        let rows = occupancy.outputLines.filter { $0.hasPrefix("runqocc, CPU ") }
        #expect(!rows.isEmpty, "output: \(occupancy.outputLines)")
        for row in rows {
            let percent = Double(row.split(separator: " ").last?.dropLast() ?? "")
            #expect(percent.map { $0 >= 0 && $0 <= 100 } == true, "row \(row)")
        }
    }

    @Test func profileSamplesTheSpinner() throws {
        let child = try Self.spinner()
        let tool = try ToolProcess("profile", ["-F", "99", "-f", "-p", String(child.pid), "2"])
        #expect(tool.waitForExit(timeout: 30) == 0, "stderr: \(tool.standardError)")
        let lines = tool.outputLines
        #expect(!lines.isEmpty)
        #expect(lines.allSatisfy { $0.hasPrefix("sh;") }, "output: \(lines)")
        let total = lines.compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }.reduce(0, +)
        // Up to 99 samples a second while it runs; it shares the CPUs with the tests.
        #expect(total >= 10 && total <= 2 * 99 + 20, "total \(total)")

        let multiLine = try ToolProcess("profile", ["-U", "-p", String(child.pid), "1"])
        try #require(multiLine.waitForLine { $0.hasPrefix("Sampling at") }
            == "Sampling at 49 Hertz of PID [\(child.pid)] by user stack for 1 secs.", "stderr: \(multiLine.standardError)")
        #expect(multiLine.waitForExit(timeout: 30) == 0)
        #expect(multiLine.outputLines.contains("    -                sh (\(child.pid))"))
    }

    @Test func hardirqsCountsTheDisksInterrupts() throws {
        let file = try DirectIOFile()
        let tool = try ToolProcess("hardirqs", ["-C", "2", "1"])
        try #require(tool.waitForLine { $0 == "Tracing hard irq events... Hit Ctrl-C to end." } != nil, "stderr: \(tool.standardError)")
        _ = try file.readDirect()
        #expect(tool.waitForExit(timeout: 20) == 0)
        let lines = tool.outputLines
        let header = try #require(lines.firstIndex(of: "HARDIRQ                    TOTAL_count"), "output: \(lines)")
        let rows = lines[(header + 1)...].map { Self.columns($0) }.filter { $0.count == 2 }
        // Reads complete with interrupts from the disk's handler, named as in /proc/interrupts.
        let interrupts = try String(contentsOfFile: "/proc/interrupts", encoding: .utf8)
        #expect(rows.contains { interrupts.contains($0[0]) && (Int($0[1]) ?? 0) > 0 }, "rows \(rows)")

        let timed = try ToolProcess("hardirqs", ["-d", "-N", "1", "1"])
        try #require(timed.waitForLine { $0 == "Tracing hard irq event time... Hit Ctrl-C to end." } != nil)
        _ = try file.readDirect()
        #expect(timed.waitForExit(timeout: 20) == 0)
        #expect(timed.outputLines.contains { $0.hasPrefix("hardirq = ") }, "output: \(timed.outputLines)")
        #expect(timed.outputLines.contains("     nsecs               : count     distribution"))
    }

    @Test func softirqsTotalsAndDistributions() throws {
        let tool = try ToolProcess("softirqs", ["-T", "1", "2"])
        try #require(tool.waitForLine { $0 == "Tracing soft irq event time... Hit Ctrl-C to end." } != nil,
                     "stderr: \(tool.standardError)")
        #expect(tool.waitForExit(timeout: 20) == 0)
        let lines = tool.outputLines
        #expect(lines.filter { $0 == "SOFTIRQ          TOTAL_usecs" }.count == 2, "output: \(lines)")
        let names = ["hi", "timer", "net_tx", "net_rx", "block", "irq_poll", "tasklet", "sched", "hrtimer", "rcu"]
        let rows = lines.map { Self.columns($0) }.filter { $0.count == 2 && names.contains($0[0]) }
        // The timer softirq runs every tick.
        #expect(rows.contains { $0[0] == "timer" || $0[0] == "rcu" || $0[0] == "sched" }, "output: \(lines)")

        let counts = try ToolProcess("softirqs", ["-C", "-c", "0", "1", "1"])
        #expect(counts.waitForExit(timeout: 20) == 0, "stderr: \(counts.standardError)")
        #expect(counts.outputLines.contains("SOFTIRQ          TOTAL_count"))

        let invalid = try ToolProcess("softirqs", ["-C", "-d"])
        #expect(invalid.waitForExit(timeout: 20) != 0)
        #expect(invalid.standardError.contains("can't be used with time-based options"))
    }
}
