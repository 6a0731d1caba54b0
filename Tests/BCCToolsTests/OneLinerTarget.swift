import Foundation
import TestSupport

/// The one-liner tests' target program (Tests/Fixtures/oneliner_target.c):
/// started paused, released once the tool under test is attached, so every
/// call it makes is seen. Its calls: ol_count 9 times (7 + 2 from ol_nested),
/// ol_slow(20 ms) 3 times, ol_message twice, ol_size with 1, 4, 16, 64, 256,
/// 1024, getppid 5 times.
final class OneLinerTarget: @unchecked Sendable {
    /// The compiled target, built once per test process.
    static let executable: Result<URL, any Error> = Result { try TestSupport.compileHostProgram("oneliner_target.c") }

    /// The running target.
    let process: ChildProcess
    private let trigger: String
    private let exitTrigger: String
    private let directory: URL
    private let outputPath: String

    /// Starts the target, paused; with `holdsAtExit` it stays alive after its
    /// calls until ``finish()``.
    init(holdsAtExit: Bool = false) throws {
        directory = try TestSupport.temporaryDirectory("oneliner-target")
        trigger = directory.appendingPathComponent("go").path
        exitTrigger = directory.appendingPathComponent("exit").path
        outputPath = directory.appendingPathComponent("stdout").path
        process = try ChildProcess(try Self.executable.get().path, holdsAtExit ? [trigger, exitTrigger] : [trigger],
                                   stdout: outputPath)
    }

    deinit {
        finish()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The target's path, for uprobe specifiers.
    var path: String { (try? Self.executable.get().path) ?? "" }

    /// Its process id.
    var pid: Int32 { process.pid }

    /// Lets the target make its calls and waits for it to exit; returns its status.
    @discardableResult
    func release() -> Int32? {
        _ = FileManager.default.createFile(atPath: trigger, contents: Data())
        return process.waitForExit(timeout: 30)
    }

    /// Lets the target make its calls and waits until it has made them
    /// (it prints a line), without waiting for its exit.
    func startAndWaitForCalls() {
        _ = FileManager.default.createFile(atPath: trigger, contents: Data())
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline && process.isRunning {
            if let data = FileManager.default.contents(atPath: outputPath), data.contains(UInt8(ascii: "\n")) { return }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    /// Lets a target that holds at exit end, and waits for it.
    @discardableResult
    func finish() -> Int32? {
        _ = FileManager.default.createFile(atPath: trigger, contents: Data())
        _ = FileManager.default.createFile(atPath: exitTrigger, contents: Data())
        return process.waitForExit(timeout: 30)
    }
}
