import ELF
import Foundation
import Testing
import TestSupport

/// tplist and ucalls against programs this test builds or starts.
@Suite struct USDTToolTests {
    /// Runs tool `name` to completion; returns its status and stdout lines.
    static func run(_ name: String, _ arguments: [String]) throws -> (status: Int32?, lines: [String], errors: String) {
        let tool = try ToolProcess(name, arguments)
        let status = tool.waitForExit(timeout: 60)
        return (status, tool.outputLines, tool.standardError)
    }

    @Test func tplistListsABinarysProbesWithTheirArguments() throws {
        let binary = try TestSupport.compileHostProgram("usdt_target.c")
        defer { try? FileManager.default.removeItem(at: binary.deletingLastPathComponent()) }
        let all = try Self.run("tplist", ["-l", binary.path])
        #expect(all.status == 0, "\(all.errors)")
        #expect(all.lines == ["registers", "memory", "constants", "globals", "sites", "guarded", "string"].map { "\(binary.path) swiftbcc:\($0)" })

        let sites = try Self.run("tplist", ["-v", "-l", binary.path, "swiftbcc:si*"])
        #expect(sites.lines.first == "\(binary.path) swiftbcc:sites [sema 0x0]")
        #expect(sites.lines.filter { $0.hasPrefix("  location #") }.count == 2)
        #expect(sites.lines.contains("    argument #1 -4@$33: 4 signed bytes @ constant 33"))

        let guarded = try Self.run("tplist", ["-v", "-l", binary.path, "guarded"])
        let semaphore = try ELFFile(contentsOf: binary.path).symbol(named: "swiftbcc_guarded_semaphore").value
        #expect(guarded.lines.first == "\(binary.path) swiftbcc:guarded [sema 0x\(String(semaphore, radix: 16))]")

        let missing = try Self.run("tplist", ["-l", "/no/such/binary"])
        #expect(missing.status == 1 && missing.errors.contains("/no/such/binary"))
    }

    @Test func tplistListsTracepointsMatchingAGlob() throws {
        let one = try Self.run("tplist", ["sched:sched_switch"])
        #expect(one.status == 0 && one.lines == ["sched:sched_switch"])
        let category = try Self.run("tplist", ["sched"])
        #expect(category.lines.contains("sched:sched_wakeup") && category.lines.allSatisfy { $0.hasPrefix("sched:") })
        let fields = try Self.run("tplist", ["-v", "syscalls:sys_enter_openat"])
        #expect(fields.lines.first == "syscalls:sys_enter_openat")
        #expect(fields.lines.contains("    const char * filename;"))
        #expect(try Self.run("tplist", ["no_such_category_*:*"]).lines.isEmpty)
    }

    /// A CPython process calling a function 25 times once `go` exists,
    /// creating `done` after, and exiting when `go` is removed. (CPython 3.11
    /// fires function__entry only while a profile function is set.)
    static let pythonScript = """
        import os, sys, time
        sys.setprofile(lambda *a: None)
        go, done = sys.argv[1], sys.argv[2]
        def swiftbcc_target(n):
            return n + 1
        while not os.path.exists(go):
            time.sleep(0.01)
        for i in range(25):
            swiftbcc_target(i)
        open(done, "w").close()
        while os.path.exists(go):
            time.sleep(0.01)
        """

    static let python = "/usr/bin/python3.11"

    @Test(arguments: [false, true])
    func ucallsCountsPythonCalls(latency: Bool) throws {
        let directory = try TestSupport.temporaryDirectory("ucalls")
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = directory.appendingPathComponent("target.py").path
        let go = directory.appendingPathComponent("go").path, done = directory.appendingPathComponent("done").path
        try Self.pythonScript.write(toFile: script, atomically: true, encoding: .utf8)
        let python = try ChildProcess(Self.python, [script, go, done])
        defer { try? FileManager.default.removeItem(atPath: go) }

        // tplist -p lists the interpreter's probes, with the semaphore ucalls raises.
        let listed = try Self.run("tplist", ["-v", "-p", String(python.pid), "python:function__entry"])
        let semaphoreText = try #require(listed.lines.first?.split(separator: " ").last?.dropFirst(2).dropLast(), "\(listed)")
        let semaphore = try #require(UInt64(semaphoreText, radix: 16))
        #expect(listed.lines.first?.hasPrefix("\(Self.python) python:function__entry [sema 0x") == true)

        let tool = try ToolProcess("ucalls", (latency ? ["-L"] : []) + ["-l", "python", String(python.pid)])
        try #require(tool.waitForLine { $0.hasPrefix("Tracing calls in process \(python.pid)") } != nil, "\(tool.standardError)")
        #expect(try Self.semaphore(pid: python.pid, address: semaphore) == 1)
        _ = FileManager.default.createFile(atPath: go, contents: nil)
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: done) && Date() < deadline { usleep(10_000) }
        #expect(tool.stop() == 0)
        let header = try #require(tool.outputLines.first { $0.hasPrefix("METHOD") })
        #expect(header.hasSuffix(latency ? "# CALLS  TIME (us)" : "# CALLS"))
        let row = try #require(tool.outputLines.first { $0.hasPrefix("\(script).swiftbcc_target ") }, "\(tool.outputLines)")
        let columns = row.split(separator: " ")
        #expect(columns[1] == "25")
        if latency { #expect(Double(columns[2]).map { $0 > 0 } == true) }
        // Lowered again once ucalls has detached.
        #expect(try Self.semaphore(pid: python.pid, address: semaphore) == 0)
        try FileManager.default.removeItem(atPath: go)
        #expect(python.waitForExit(timeout: 10) == 0)
    }

    /// The 2-byte semaphore at `address` of process `pid` (CPython is not PIE: addresses are as in the file).
    static func semaphore(pid: Int32, address: UInt64) throws -> UInt16 {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/\(pid)/mem"))
        defer { try? handle.close() }
        try handle.seek(toOffset: address)
        let bytes = try #require(try handle.read(upToCount: 2))
        return UInt16(bytes[0]) | UInt16(bytes[1]) << 8
    }
}
