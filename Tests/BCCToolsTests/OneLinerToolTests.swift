import Foundation
import Testing
import TestSupport

/// funccount, funclatency and stackcount on the calls of a target program
/// this test starts, on libc and on tracepoints, filtered by the target's pid.
@Suite struct OneLinerToolTests {
    /// The `FUNC COUNT` rows of funccount's output, by function.
    static func counts(_ lines: [String]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for line in lines {
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            if columns.count == 2, let count = Int(columns[1]) { counts[String(columns[0]), default: 0] += count }
        }
        return counts
    }

    /// Runs `tool` with `arguments` (the target's pid and path substituted for
    /// PID and TARGET), releases the target, and returns the tool's output
    /// after Ctrl-C.
    static func run(_ tool: String, _ arguments: [String], target: OneLinerTarget) throws -> [String] {
        let substituted = arguments.map {
            $0.replacingOccurrences(of: "PID", with: String(target.pid)).replacingOccurrences(of: "TARGET", with: target.path)
        }
        let process = try ToolProcess(tool, substituted)
        let started = process.waitForLine { $0.hasPrefix("Tracing") }
        try #require(started != nil, "\(tool) did not start: \(process.standardError)")
        #expect(target.release() == 0)
        #expect(process.stop() == 0, "\(process.standardError)")
        return process.outputLines
    }

    @Test func funccountCountsTheTargetsFunctionsByWildcard() throws {
        let target = try OneLinerTarget()
        let lines = try Self.run("funccount", ["-p", "PID", "TARGET:ol_*"], target: target)
        #expect(lines.first == "Tracing 5 functions for \"\(target.path):ol_*\"... Hit Ctrl-C to end.")
        #expect(lines.contains(CTextLike.header))
        let counts = Self.counts(lines)
        #expect(counts == ["ol_count": 9, "ol_slow": 3, "ol_message": 2, "ol_size": 6, "ol_nested": 3], "\(lines)")
        #expect(lines.last == "Detaching...")
    }

    @Test func funccountOnLibcAndOnTracepointPatterns() throws {
        let libc = try Self.run("funccount", ["-p", "PID", "c:getppid"], target: try OneLinerTarget())
        #expect(Self.counts(libc)["getppid"] == 5, "\(libc)")
        let tracepoints = try Self.run("funccount", ["-p", "PID", "t:syscalls:sys_enter_getpp*"], target: try OneLinerTarget())
        #expect(Self.counts(tracepoints) == ["syscalls:sys_enter_getppid": 5], "\(tracepoints)")
        let regex = try Self.run("funccount", ["-r", "-p", "PID", "TARGET:ol_(count|size)"], target: try OneLinerTarget())
        #expect(Self.counts(regex) == ["ol_count": 9, "ol_size": 6], "\(regex)")
    }

    @Test func funccountAndStackcountOnUSDTProbes() throws {
        let exact = try Self.run("funccount", ["-p", "PID", "u:TARGET:oneliner:request"], target: try OneLinerTarget())
        #expect(Self.counts(exact) == ["request": 4], "\(exact)")
        let wildcard = try Self.run("funccount", ["-p", "PID", "u:TARGET:req*"], target: try OneLinerTarget())
        #expect(wildcard.first?.hasPrefix("Tracing 1 functions") == true, "\(wildcard)")
        #expect(Self.counts(wildcard) == ["request": 4], "\(wildcard)")
        let target = try OneLinerTarget(holdsAtExit: true)
        let tool = try ToolProcess("stackcount", ["-f", "-T", "-U", "-p", String(target.pid), "-i", "1", "u:\(target.path):request"])
        // Folded output has no banner: the first interval's timestamp says the probes are attached.
        try #require(tool.waitForLine { $0.count == 8 && $0.filter { $0 == ":" }.count == 2 } != nil, "\(tool.standardError)")
        target.startAndWaitForCalls()
        let folded = tool.waitForLine { $0.hasSuffix(";main;usdt_request 4") }
        #expect(tool.stop() == 0)
        target.finish()
        #expect(folded?.hasPrefix("oneliner_target;") == true, "\(tool.outputLines) \(tool.standardError)")
    }

    @Test func aUSDTPatternThatMatchesNothingNamesTheBinary() throws {
        let target = try OneLinerTarget()
        let tool = try ToolProcess("funccount", ["u:\(target.path):no_such_probe"])
        #expect(tool.waitForExit(timeout: 60) != 0)
        #expect(tool.standardError.contains("no USDT probe matched"), "\(tool.standardError)")
    }

    @Test func funccountErrorsNameTheProblem() throws {
        let badPattern = try ToolProcess("funccount", ["x:y:z"])
        #expect(badPattern.waitForExit(timeout: 30) != 0)
        #expect(badPattern.standardError.contains("at column 1") && badPattern.standardError.contains("probe type"))
        let kernel = try ToolProcess("funccount", ["vfs_read"])
        #expect(kernel.waitForExit(timeout: 60) != 0)
        #expect(kernel.standardError.contains("kprobe"), "\(kernel.standardError)")
        let nothing = try ToolProcess("funccount", ["t:sched:no_such_event_*"])
        #expect(nothing.waitForExit(timeout: 60) != 0)
        #expect(nothing.standardError.contains("no tracepoint matched"), "\(nothing.standardError)")
    }

    @Test func funclatencyTimesTheSlowFunctionInMilliseconds() throws {
        let lines = try Self.run("funclatency", ["-m", "-p", "PID", "TARGET:ol_slow"], target: try OneLinerTarget())
        #expect(lines.contains { $0.contains("msecs") && $0.contains("distribution") }, "\(lines)")
        // Three sleeps of 20 ms land in the 16 -> 31 bucket.
        let bucket = try #require(lines.first { $0.contains("16 -> 31") })
        #expect(bucket.split(separator: ":")[1].split(separator: " ").first == "3", "\(bucket)")
        let summary = try #require(lines.first { $0.hasPrefix("avg = ") })
        #expect(summary.hasSuffix("count: 3"), "\(summary)")
        let average = Int(summary.split(separator: " ")[2]) ?? 0
        #expect((20...60).contains(average), "\(summary)")
    }

    @Test func funclatencyPerFunctionSections() throws {
        let lines = try Self.run("funclatency", ["-F", "-u", "-p", "PID", "TARGET:ol_s*"], target: try OneLinerTarget())
        #expect(lines.contains("Function = ol_slow"), "\(lines)")
        #expect(lines.contains("Function = ol_size"), "\(lines)")
        #expect(lines.first { $0.hasPrefix("avg = ") }?.hasSuffix("count: 9") == true, "\(lines)")
    }

    @Test func stackcountFoldsUserStacksWithSymbols() throws {
        let target = try OneLinerTarget(holdsAtExit: true)
        let tool = try ToolProcess("stackcount", ["-f", "-T", "-U", "-p", String(target.pid), "-i", "1", "\(target.path):ol_count"])
        // Folded output has no banner: the first interval's timestamp says the probes are attached.
        try #require(tool.waitForLine { $0.count == 8 && $0.filter { $0 == ":" }.count == 2 } != nil, "\(tool.standardError)")
        target.startAndWaitForCalls()
        let fromMain = tool.waitForLine { $0.hasSuffix(";main;ol_count 7") }
        let fromNested = tool.waitForLine { $0.contains(";ol_nested;ol_count") }
        #expect(tool.stop() == 0)
        target.finish()
        #expect(fromMain?.hasPrefix("oneliner_target;") == true, "\(tool.outputLines) \(tool.standardError)")
        #expect(fromNested.map { $0.hasSuffix(" 1") } == true, "\(tool.outputLines)")
    }
}

/// funccount's column header.
enum CTextLike {
    static let header = "FUNC" + String(repeating: " ", count: 32) + "    COUNT"
}

/// trace and argdist on the target's calls: formats, filters, return values,
/// tracepoints, histograms, latencies through entry probes.
@Suite struct TraceArgdistToolTests {
    static func columns(_ line: String) -> [String] {
        line.split(whereSeparator: \.isWhitespace).map(String.init)
    }

    @Test func traceFormatsArgumentsReturnValuesAndTracepoints() throws {
        let target = try OneLinerTarget()
        let tool = try ToolProcess("trace", [
            "-p", String(target.pid),
            "\(target.path):ol_message \"%s len=%d\", arg1, arg2",
            "r:\(target.path):ol_size (retval > 100) \"ret %lu\", retval",
            "t:syscalls:sys_enter_getppid",
        ])
        let header = tool.waitForLine { $0.hasPrefix("PID") }
        try #require(header == "PID     TID     COMM            FUNC             -", "\(tool.standardError)")
        #expect(target.release() == 0)
        let lastGetppid = { (lines: [String]) in lines.filter { $0.contains("sys_enter_getppid") }.count == 5 }
        let deadline = Date().addingTimeInterval(20)
        while !lastGetppid(tool.outputLines) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(tool.stop() == 0)
        let lines = tool.outputLines.dropFirst()
        let pid = String(target.pid)
        #expect(lines.allSatisfy { Self.columns($0).first == pid }, "\(lines)")
        let messages = lines.filter { $0.contains("ol_message") }
        #expect(messages.count == 2 && messages[0].hasSuffix(" ol_message       hello one-liner len=42")
                && messages[1].hasSuffix(" ol_message       second len=7"), "\(lines)")
        // 1 4 16 64 256 1024 doubled: only 128, 512 and 2048 pass the filter.
        #expect(lines.filter { $0.contains("ol_size") }.map { Self.columns($0).last } == ["128", "512", "2048"], "\(lines)")
        #expect(lines.filter { $0.contains("sys_enter_getppid") }.count == 5)
    }

    @Test func traceAndArgdistReadUSDTArguments() throws {
        let target = try OneLinerTarget()
        let tool = try ToolProcess("trace", ["-p", String(target.pid), "u:\(target.path):request (arg1 != 300) \"%d %s\", arg1, arg2"])
        try #require(tool.waitForLine { $0.hasPrefix("PID") } != nil, "\(tool.standardError)")
        #expect(target.release() == 0)
        let last = tool.waitForLine { $0.hasSuffix("400 /req/4") }
        #expect(tool.stop() == 0)
        #expect(last != nil, "\(tool.outputLines) \(tool.standardError)")
        let events = tool.outputLines.dropFirst().filter { $0.contains("request") }
        #expect(events.map { Self.columns($0).suffix(2).joined(separator: " ") } == ["100 /req/1", "200 /req/2", "400 /req/4"],
                "\(tool.outputLines)")
        #expect(events.allSatisfy { Self.columns($0).first == String(target.pid) })

        let counted = try OneLinerTarget()
        let argdist = try ToolProcess("argdist", ["-p", String(counted.pid), "-i", "1",
                                                  "-C", "u:\(counted.path):oneliner:request():int,char*:arg1,arg2:arg1>150"])
        try #require(argdist.waitForLine { $0.hasPrefix("[") } != nil, "\(argdist.standardError)")
        #expect(counted.release() == 0)
        let done = argdist.waitForLine { $0.contains("/req/4") }
        #expect(argdist.stop() == 0)
        #expect(done != nil, "\(argdist.outputLines) \(argdist.standardError)")
        for (id, path) in [(200, "/req/2"), (300, "/req/3"), (400, "/req/4")] {
            #expect(argdist.outputLines.contains("\t1          arg1 = \(id), arg2 = \(path)"), "\(argdist.outputLines)")
        }
        #expect(!argdist.outputLines.contains { $0.contains("/req/1") })
    }

    @Test func traceStopsAfterMaxEventsAndReportsBadSpecifiers() throws {
        let target = try OneLinerTarget()
        let tool = try ToolProcess("trace", ["-M", "3", "-p", String(target.pid), "\(target.path):ol_count \"%d\", arg1"])
        try #require(tool.waitForLine { $0.hasPrefix("PID") } != nil, "\(tool.standardError)")
        #expect(target.release() == 0)
        #expect(tool.waitForExit(timeout: 30) == 0)
        #expect(tool.outputLines.dropFirst().map { Self.columns($0).last } == ["0", "1", "2"], "\(tool.outputLines)")

        let bad = try ToolProcess("trace", ["c:malloc \"%d %d\", arg1"])
        #expect(bad.waitForExit(timeout: 30) != 0)
        #expect(bad.standardError.contains("at column 10") && bad.standardError.contains("2 conversions but 1 argument"), "\(bad.standardError)")
    }

    @Test func argdistCountsHistogramsAndLatencies() throws {
        let target = try OneLinerTarget()
        let tool = try ToolProcess("argdist", [
            "-p", String(target.pid), "-i", "1",
            "-H", "p:\(target.path):ol_size(unsigned long size):u64:size",
            "-C", "p:\(target.path):ol_message(char *text, int length):char*,int:text,length",
            "-C", "r:\(target.path):ol_slow(int ms):u64:$latency/1000000:$entry(ms)==20#slow ms",
            "-C", "t:syscalls:sys_enter_getppid():u32:$PID",
        ])
        try #require(tool.waitForLine { $0.hasPrefix("[") } != nil, "\(tool.standardError)")
        #expect(target.release() == 0)
        let done = tool.waitForLine { $0.contains("$PID = \(target.pid)") }
        #expect(tool.stop() == 0)
        let lines = tool.outputLines
        #expect(done != nil, "\(lines) \(tool.standardError)")
        #expect(lines.contains("\t5          $PID = \(target.pid)"), "\(lines)")
        #expect(lines.contains("\t1          text = hello one-liner, length = 42"), "\(lines)")
        #expect(lines.contains("\t1          text = second, length = 7"), "\(lines)")
        #expect(lines.contains("slow ms"))
        let latencies = lines.filter { $0.contains("$latency/1000000 = ") }
        let total = latencies.compactMap { Int(Self.columns($0)[0]) }.reduce(0, +)
        #expect(total == 3, "\(lines)")
        #expect(latencies.allSatisfy { (20...60).contains(Int(Self.columns($0).last ?? "") ?? 0) }, "\(latencies)")
        // One value in each of the buckets of 1, 4, 16, 64, 256 and 1024.
        for bucket in ["0 -> 1", "4 -> 7", "16 -> 31", "64 -> 127", "256 -> 511", "1024 -> 2047"] {
            let row = lines.first { $0.contains(bucket + " ") }
            #expect(row.map { Self.columns($0)[4] } == "1", "\(bucket): \(String(describing: row))")
        }
    }
}
