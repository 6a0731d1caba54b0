import Foundation
import TestSupport

/// A child process started with posix_spawn, its output going to files: the
/// test process holds no descriptor for the child's lifetime, since other
/// suites count descriptors while tools run (Foundation's Process keeps one).
final class ChildProcess: @unchecked Sendable {
    /// The child's process id.
    let pid: pid_t
    private var status: Int32?

    /// Starts `path` with `arguments`; stdin comes from, stdout and stderr go to the given files (or /dev/null).
    init(_ path: String, _ arguments: [String], stdin: String = "/dev/null", stdout: String = "/dev/null",
         stderr: String = "/dev/null") throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, path, &actions, nil, argv, environ)
        guard result == 0 else {
            throw SpawnError(description: "posix_spawn \(path): \(String(cString: strerror(result)))")
        }
        pid = child
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            _ = waitForExit(timeout: 5)
        }
    }

    /// True until the child has exited and been reaped.
    var isRunning: Bool {
        if status != nil { return false }
        var raw: Int32 = 0
        if waitpid(pid, &raw, WNOHANG) == pid {
            // Exit code for a normal exit, 128 + signal otherwise (as a shell reports it).
            status = raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
            return false
        }
        return true
    }

    /// Waits up to `timeout` seconds; returns the exit status, or nil if still running.
    func waitForExit(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        return status
    }

    /// Runs `path` to completion (up to 30 seconds) and returns its exit status.
    @discardableResult
    static func run(_ path: String, _ arguments: [String], stdout: String = "/dev/null") throws -> Int32? {
        try ChildProcess(path, arguments, stdout: stdout).waitForExit(timeout: 30)
    }
}

/// A tool executable run by a test, with its output collected from a file.
final class ToolProcess: @unchecked Sendable {
    private let child: ChildProcess
    private let directory: URL
    private let outputPath: String
    private let errorPath: String

    /// The directory the tools are built into: the test bundle's.
    static var buildDirectory: URL {
        URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "")
            .deletingLastPathComponent()
    }

    /// Starts tool `name` with `arguments` (in `workingDirectory`, or this process's).
    init(_ name: String, _ arguments: [String], workingDirectory: String? = nil) throws {
        directory = try TestSupport.temporaryDirectory("tool-\(name)")
        outputPath = directory.appendingPathComponent("stdout").path
        errorPath = directory.appendingPathComponent("stderr").path
        let tool = Self.buildDirectory.appendingPathComponent(name).path
        // In another directory: a shell changes to it and execs the tool (same pid).
        let (path, argv) = workingDirectory.map { ("/bin/sh", ["-c", "cd \"$0\" && exec \"$@\"", $0, tool] + arguments) }
            ?? (tool, arguments)
        child = try ChildProcess(path, argv, stdout: outputPath, stderr: errorPath)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Every complete line the tool has written so far.
    var outputLines: [String] {
        guard let data = FileManager.default.contents(atPath: outputPath) else { return [] }
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
        lines.removeLast()  // the text after the last newline: empty, or a line still being written
        return lines
    }

    /// Waits until a line satisfies `predicate`, returning it, or nil after `timeout` seconds.
    func waitForLine(timeout: TimeInterval = 30, where predicate: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = outputLines.first(where: predicate) { return line }
            if !child.isRunning { return outputLines.first(where: predicate) }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return nil
    }

    /// Sends `signal` and waits up to `timeout` seconds for the exit; returns its status, or nil if it did not exit.
    func stop(signal: Int32 = SIGINT, timeout: TimeInterval = 10) -> Int32? {
        if child.isRunning { kill(child.pid, signal) }
        return waitForExit(timeout: timeout)
    }

    /// Waits up to `timeout` seconds for the tool to exit on its own; returns its status.
    func waitForExit(timeout: TimeInterval) -> Int32? {
        child.waitForExit(timeout: timeout)
    }

    /// What the tool wrote to stderr so far.
    var standardError: String {
        FileManager.default.contents(atPath: errorPath).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}

/// A child could not be started.
struct SpawnError: Error, CustomStringConvertible {
    var description: String
}
