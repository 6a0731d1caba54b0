import BCC
import Foundation
import Glibc
import Testing
import TestSupport

/// bashreadline, gethostlatency and memleak against calls the test makes:
/// lines typed into an interactive bash, host lookups and allocations of its own.
@Suite(.serialized) struct UserToolTests {
    static func columns(_ line: String) -> [String] {
        line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    }

    static let bash = try? BPF.findBinary("bash")
    static let script = ["/usr/bin/script", "/bin/script"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: bash != nil && script != nil, "needs bash and script(1) for a terminal"))
    func bashreadlinePrintsTypedCommands() throws {
        let tool = try ToolProcess("bashreadline", [])
        try #require(tool.waitForLine { $0 == "TIME      PID     COMMAND" } != nil, "stderr: \(tool.standardError)")
        let directory = try TestSupport.temporaryDirectory("bashreadline")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("input").path
        let marker = "swift-bcc-readline-\(getpid())"
        try "echo \(marker)\nexit\n".write(toFile: input, atomically: true, encoding: .utf8)
        // script(1) gives bash a terminal, so it reads its input with readline().
        let shell = try ChildProcess(try #require(Self.script), ["-qc", "\(try #require(Self.bash)) --norc --noprofile -i", "/dev/null"],
                                     stdin: input)
        #expect(shell.waitForExit(timeout: 20) == 0)
        let line = try #require(tool.waitForLine { $0.hasSuffix(" echo \(marker)") }, "output: \(tool.outputLines)")
        let fields = Self.columns(line)
        #expect(fields.count == 4 && Int32(fields[1]) != nil)
        let exit = try #require(tool.waitForLine { $0.hasSuffix(" exit") && Self.columns($0)[1] == fields[1] })
        #expect(Self.columns(exit).count == 3)
        #expect(tool.stop() == 0)
    }

    @Test func gethostlatencyTimesTheTestsLookups() throws {
        let me = String(getpid())
        let tool = try ToolProcess("gethostlatency", ["-p", me])
        try #require(tool.waitForLine { $0.hasPrefix("TIME      PID     COMM                  LATms HOST") } != nil,
                     "stderr: \(tool.standardError)")
        var result: UnsafeMutablePointer<addrinfo>?
        #expect(getaddrinfo("localhost", nil, nil, &result) == 0)
        freeaddrinfo(result)
        // A name only this test looks up (a numeric one: no resolver is asked).
        let unique = "127.0.\(getpid() % 200 + 2).\(getpid() % 251 + 1)"
        #expect(gethostbyname(unique) != nil)
        _ = tool.waitForLine { Self.columns($0).count == 5 && Self.columns($0)[1] == me && $0.hasSuffix(" \(unique)") }
        let lookups = tool.outputLines.filter { Self.columns($0).count == 5 && Self.columns($0)[1] == me }
        // Other tests in this process may look up localhost too.
        #expect(lookups.contains { $0.hasSuffix(" localhost") }, "getaddrinfo: \(tool.outputLines)")
        #expect(lookups.filter { $0.hasSuffix(" \(unique)") }.count == 1, "gethostbyname: \(tool.outputLines)")
        #expect(lookups.allSatisfy { Double(Self.columns($0)[3]).map { $0 >= 0 && $0 < 10_000 } == true })
        #expect(tool.stop() == 0)
    }

    @Test func memleakShowsTheTestsOutstandingAllocations() throws {
        let tool = try ToolProcess("memleak", ["-p", String(getpid()), "-z", "100000", "-Z", "200000", "-o", "0", "-T", "1000", "1"])
        try #require(tool.waitForLine { $0 == "Attaching to pid \(getpid()), Ctrl+C to quit." } != nil, "stderr: \(tool.standardError)")
        // The probes are attached once the first report is out (bcc prints "Attaching" before attaching).
        try #require(tool.waitForLine { $0.hasSuffix("outstanding allocations:") } != nil, "stderr: \(tool.standardError)")
        // Known sizes: five mallocs from one call site, one of them grown by realloc,
        // a calloc and a posix_memalign.
        var blocks = (0..<5).map { _ in malloc(123_457) }
        blocks[0] = realloc(blocks[0], 130_001)
        blocks.append(calloc(3, 41_153))
        var aligned: UnsafeMutableRawPointer?
        #expect(posix_memalign(&aligned, 64, 123_461) == 0)
        blocks.append(aligned)
        defer { blocks.forEach { free($0) } }

        func report(after title: Int) -> [String]? {
            let lines = tool.outputLines
            let titles = lines.indices.filter { lines[$0].hasSuffix("stacks with outstanding allocations:") }
            guard titles.count > title + 1 else { return nil }
            return Array(lines[(titles[title] + 1)..<titles[title + 1]])
        }
        // The entries whose stack passes through this test (the process's other
        // tests allocate too, and the tool rightly reports them).
        func totals(_ report: [String]) -> Set<String> {
            var mine = Set<String>()
            for (index, line) in report.enumerated() where line.contains(" bytes in ") {
                let frames = report[(index + 1)...].prefix { $0.hasPrefix("\t\t") }
                if frames.contains(where: { $0.contains("memleakShowsTheTestsOutstandingAllocations") }) {
                    mine.insert(line.trimmingCharacters(in: .whitespaces))
                }
            }
            return mine
        }
        let titlesBefore = tool.outputLines.filter { $0.hasSuffix("outstanding allocations:") }.count
        _ = tool.waitForLine(timeout: 30) { _ in report(after: titlesBefore) != nil }
        let first = try #require(report(after: titlesBefore), "output: \(tool.outputLines)")
        #expect(totals(first) == ["493828 bytes in 4 allocations from stack", "130001 bytes in 1 allocations from stack",
                                  "123459 bytes in 1 allocations from stack", "123461 bytes in 1 allocations from stack"],
                "\(first)")

        blocks.forEach { free($0) }
        blocks = []
        let titlesAfter = tool.outputLines.filter { $0.hasSuffix("outstanding allocations:") }.count
        _ = tool.waitForLine(timeout: 30) { _ in report(after: titlesAfter) != nil }
        let freed = try #require(report(after: titlesAfter), "output: \(tool.outputLines)")
        #expect(totals(freed).isEmpty, "freed blocks are no longer outstanding: \(freed)")
        #expect(tool.stop() == 0)
    }

    @Test func memleakInKernelModeShowsKernelStacks() throws {
        let tool = try ToolProcess("memleak", ["-T", "1", "1", "1"])
        #expect(tool.waitForExit(timeout: 30) == 0, "stderr: \(tool.standardError)")
        let lines = tool.outputLines
        #expect(lines.first == "Attaching to kernel allocators, Ctrl+C to quit.")
        #expect(lines.dropFirst().first?.hasSuffix("] Top 1 stacks with outstanding allocations:") == true)
        let entry = try #require(lines.first { $0.hasPrefix("\t") && $0.contains(" bytes in ") }, "\(lines)")
        #expect(UInt64(Self.columns(entry.trimmingCharacters(in: .whitespaces))[0]) != nil)
        #expect(lines.contains { $0.hasPrefix("\t\t0xffff") && $0.hasSuffix(" [kernel]") })
    }

    @Test func memleakRejectsContradictorySizes() throws {
        let tool = try ToolProcess("memleak", ["-z", "10", "-Z", "5"])
        #expect(tool.waitForExit(timeout: 20) == 64)
        #expect(tool.standardError.contains("min_size (-z) can't be greater than max_size (-Z)"))
    }
}
