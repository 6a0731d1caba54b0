import Foundation
import TestSupport

/// A tool executable run by a test: its output collected line by line as it
/// comes, so the test can wait for the header before making events.
final class ToolProcess: @unchecked Sendable {
    // @unchecked: `lines` and `partial` are only touched while `lock` is held.
    private let lock = NSLock()
    private var lines: [String] = []
    private var partial = Data()
    private let process = Process()
    private let output = Pipe()
    private let errors = Pipe()

    /// The directory the tools are built into: the test bundle's.
    static var buildDirectory: URL {
        URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "")
            .deletingLastPathComponent()
    }

    /// Starts tool `name` with `arguments`.
    init(_ name: String, _ arguments: [String]) throws {
        process.executableURL = Self.buildDirectory.appendingPathComponent(name)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = errors
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            self?.append(handle.availableData)
        }
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
        output.fileHandleForReading.readabilityHandler = nil
    }

    /// The process id.
    var pid: Int32 { process.processIdentifier }

    private func append(_ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        partial.append(data)
        while let newline = partial.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(String(decoding: partial[partial.startIndex ..< newline], as: UTF8.self))
            partial.removeSubrange(partial.startIndex ... newline)
        }
    }

    /// Every complete line so far.
    var outputLines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }

    /// Waits until a line satisfies `predicate`, returning it, or nil after `timeout` seconds.
    func waitForLine(timeout: TimeInterval = 30, where predicate: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = outputLines.first(where: predicate) { return line }
            if !process.isRunning {
                // One last look after the pipe drains.
                Thread.sleep(forTimeInterval: 0.2)
                return outputLines.first(where: predicate)
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return nil
    }

    /// Sends `signal` and waits up to `timeout` seconds for the exit; returns its status, or nil if it did not exit.
    func stop(signal: Int32 = SIGINT, timeout: TimeInterval = 10) -> Int32? {
        if process.isRunning { kill(process.processIdentifier, signal) }
        return waitForExit(timeout: timeout)
    }

    /// Waits up to `timeout` seconds for the process to exit on its own; returns its status.
    func waitForExit(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            process.terminate()
            return nil
        }
        Thread.sleep(forTimeInterval: 0.1)
        return process.terminationStatus
    }

    /// What the tool wrote to stderr (read after it exits).
    var standardError: String {
        String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self)
    }
}
