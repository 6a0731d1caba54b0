import Foundation
import Testing
import TestSupport

/// The Examples/ programs, each run against an exec or an open this test makes.
@Suite(.serialized) struct ExampleRunTests {
    @Test(arguments: ["guide-ringbuf-output", "guide-ringbuf-reserve"])
    func guideExamplesShowAnExec(example: String) throws {
        let tool = try ToolProcess(example, [])
        try #require(tool.waitForLine { $0.hasPrefix("PID") } != nil, "stderr: \(tool.standardError)")
        let child = try ChildProcess("/bin/true", [])
        #expect(child.waitForExit(timeout: 10) == 0)
        let line = try #require(tool.waitForLine { $0.hasPrefix("\(child.pid) ") })
        let columns = ToolRunTests.columns(line)
        #expect(columns[1] == "true")
        #expect(UInt64(columns[2]).map { $0 > 0 } == true)
        #expect(tool.stop() == 0)
    }

    @Test(arguments: ["ringbuf-output", "ringbuf-submit"])
    func ringbufExamplesShowAnOpen(example: String) throws {
        let tool = try ToolProcess(example, [])
        try #require(tool.waitForLine { $0.hasPrefix("FILENAME") } != nil, "stderr: \(tool.standardError)")
        // Short enough for the 16-byte filename of ringbuf-output.
        let path = "/tmp/rb\(UInt32.random(in: 100_000 ... 999_999))"
        _ = open(path, O_RDONLY)
        let line = try #require(tool.waitForLine { $0.hasPrefix(path + " ") })
        let columns = ToolRunTests.columns(line)
        #expect(columns[1] == "-100")  // AT_FDCWD
        #expect(tool.stop() == 0)
    }
}
