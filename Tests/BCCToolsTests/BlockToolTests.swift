import Foundation
import Testing
import TestSupport

/// biolatency, biosnoop, biopattern and bitesize against O_DIRECT reads a `dd` child makes.
@Suite(.serialized) struct BlockToolTests {
    static func columns(_ line: String) -> [String] {
        line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    }

    /// The counts of a histogram's rows ("  lo -> hi : count |***|").
    static func histogramCounts(_ lines: some Sequence<String>) -> [Int] {
        lines.filter { $0.contains(" : ") && $0.contains("|") }.compactMap { line in
            line.split(separator: ":", maxSplits: 1).last.flatMap { Int($0.split(separator: " ").first ?? "") }
        }
    }

    @Test func biosnoopShowsTheChildsReads() throws {
        let file = try DirectIOFile()
        let disk = try #require(file.diskName)
        let tool = try ToolProcess("biosnoop", ["-Q", "-P"])
        let header = tool.waitForLine { $0.hasPrefix("TIME(s)") }
        try #require(header == "TIME(s)     COMM           PID     DISK      T SECTOR     BYTES  P QUE(ms) LAT(ms)",
                     "stderr: \(tool.standardError)")
        let pid = try file.readDirect()
        let line = try #require(tool.waitForLine { Self.columns($0).count == 10 && Self.columns($0)[2] == String(pid) })
        let columns = Self.columns(line)
        #expect(columns[1] == "dd")
        #expect(columns[3] == disk)
        #expect(columns[4] == "R")
        #expect(UInt64(columns[5]) != nil)
        #expect(columns[6] == String(file.blockSize))
        #expect(["S", "R", "?"].contains(columns[7]))
        #expect(Double(columns[8]).map { $0 >= 0 } == true)
        #expect(Double(columns[9]).map { $0 >= 0 && $0 < 10_000 } == true)
        // Every read of the pass, in order: sequential after the first.
        _ = tool.waitForLine(timeout: 5) { _ in false }
        let reads = tool.outputLines.filter { Self.columns($0).count == 10 && Self.columns($0)[2] == String(pid) }
        #expect(reads.count == file.blocks)
        #expect(tool.stop() == 0)
    }

    @Test func biolatencyPerDiskAndPerFlags() throws {
        let file = try DirectIOFile()
        let disk = try #require(file.diskName)
        let perDisk = try ToolProcess("biolatency", ["-D", "-e", "2", "1"])
        try #require(perDisk.waitForLine { $0.hasPrefix("Tracing block device I/O") } != nil, "stderr: \(perDisk.standardError)")
        _ = try file.readDirect()
        #expect(perDisk.waitForExit(timeout: 20) == 0)
        let lines = perDisk.outputLines
        let section = try #require(lines.firstIndex(of: "disk = \(disk)"), "output: \(lines)")
        #expect(lines[section + 1] == "     usecs               : count     distribution")
        let rows = lines[(section + 2)...].prefix { $0.contains(" -> ") }
        #expect(Self.histogramCounts(rows).reduce(0, +) >= file.blocks)
        #expect(lines.contains { $0.hasPrefix("avg = ") && $0.contains(" usecs, total: ") })

        let perFlags = try ToolProcess("biolatency", ["-F", "-m", "-Q", "2", "1"])
        try #require(perFlags.waitForLine { $0.hasPrefix("Tracing block device I/O") } != nil, "stderr: \(perFlags.standardError)")
        _ = try file.readDirect()
        #expect(perFlags.waitForExit(timeout: 20) == 0)
        let flagLines = perFlags.outputLines
        #expect(flagLines.contains { $0.hasPrefix("flags = ") && $0.hasSuffix("Read") }, "output: \(flagLines)")
        #expect(flagLines.contains("     msecs               : count     distribution"))
    }

    @Test func biolatencyRejectsAMissingDisk() throws {
        let tool = try ToolProcess("biolatency", ["-d", "no-such-disk-\(getpid())"])
        #expect(tool.waitForExit(timeout: 20) != 0)
        #expect(tool.standardError.contains("no such disk 'no-such-disk-\(getpid())'"))
    }

    @Test func biopatternCountsSequentialReads() throws {
        let file = try DirectIOFile(blocks: 64)
        let disk = try #require(file.diskName)
        // One-second intervals until stopped: on a loaded machine the reads may span several.
        let tool = try ToolProcess("biopattern", ["-d", disk, "1"])
        try #require(tool.waitForLine { $0.hasPrefix("TIME") } == "TIME      DISK     %RND  %SEQ    COUNT     KBYTES",
                     "stderr: \(tool.standardError)")
        _ = try file.readDirect()
        usleep(1_500_000)  // past the interval the last read fell in
        #expect(tool.stop() == 0)
        let rows = tool.outputLines.dropFirst().map(Self.columns)
        #expect(!rows.isEmpty && rows.allSatisfy { $0.count == 6 && $0[1] == disk }, "output: \(tool.outputLines)")
        for columns in rows where columns.count == 6 {
            #expect((Int(columns[2]) ?? -1) + (Int(columns[3]) ?? -1) == 100, "row \(columns)")
        }
        #expect(rows.reduce(0) { $0 + (Int($1.suffix(2).first ?? "") ?? 0) } >= file.blocks - 1, "output: \(tool.outputLines)")
        #expect(rows.reduce(0) { $0 + (Int($1.last ?? "") ?? 0) } >= (file.blocks - 1) * file.blockSize / 1024)
    }

    @Test func bitesizeHistogramOfDdsReads() throws {
        let file = try DirectIOFile()
        let tool = try ToolProcess("bitesize", ["-c", "dd", "2", "1"])
        try #require(tool.waitForLine { $0.hasPrefix("Tracing block I/O") } != nil, "stderr: \(tool.standardError)")
        _ = try file.readDirect()
        #expect(tool.waitForExit(timeout: 20) == 0)
        let lines = tool.outputLines
        let section = try #require(lines.firstIndex(of: "Process Name = dd"), "output: \(lines)")
        #expect(lines[section + 1] == "     Kbytes              : count     distribution")
        // 64 KiB reads land in the 64 -> 127 row.
        let row = try #require(lines[(section + 2)...].first { $0.hasPrefix("        64 -> 127") })
        #expect((Self.histogramCounts([row]).first ?? 0) >= file.blocks)
        #expect(!lines.contains { $0.hasPrefix("Process Name = ") && $0 != "Process Name = dd" })
    }
}
