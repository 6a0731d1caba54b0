import Foundation

/// Helpers shared by the test targets: the toolchain's clang, C fixtures
/// compiled at test time, and descriptor counting for leak checks.
public enum TestSupport {
    /// The repository's root, found from this file's path.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Tests/Fixtures.
    public static let fixturesDirectory: URL = repositoryRoot.appendingPathComponent("Tests/Fixtures")

    /// The clang that compiles the C fixtures: $BCC_CLANG, else
    /// /opt/swift/usr/bin/clang, else `clang` on PATH. (The library's own
    /// search, BCC's ClangDriver, is internal; the pure-layer tests must not
    /// depend on BCC.)
    public static var clang: String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["BCC_CLANG"], !path.isEmpty { return path }
        let candidates = ["/opt/swift/usr/bin/clang"]
            + (environment["PATH"] ?? "").split(separator: ":").map { "\($0)/clang" }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "clang"
    }

    /// The path of executable product `name` (swift-bcc, ebpf-test-helper, a
    /// tool): `swift build` and `swift test` put it beside the test binary.
    public static func builtProduct(_ name: String) -> String {
        let testBinary = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: testBinary).deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// Result of running a process to completion.
    public struct ProcessResult: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `executable` with `arguments` and waits for it.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String]) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting so a chatty child cannot fill a pipe and block.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ProcessResult(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A fresh temporary directory, unique per call.
    public static func temporaryDirectory(_ label: String = "swift-bcc-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Compiles Tests/Fixtures/`name` (a BPF C file) with
    /// `clang -target bpf -O2 -g` and returns the object's bytes.
    public static func compileBPFFixture(_ name: String, extraFlags: [String] = []) throws -> [UInt8] {
        let source = fixturesDirectory.appendingPathComponent(name)
        let output = try temporaryDirectory("fixture").appendingPathComponent(
            source.deletingPathExtension().lastPathComponent + ".o")
        defer { try? FileManager.default.removeItem(at: output.deletingLastPathComponent()) }
        let result = try run(clang, [
            "-target", "bpf", "-O2", "-g", "-Wall",
            "-I", fixturesDirectory.appendingPathComponent("include").path,
            "-c", source.path, "-o", output.path,
        ] + extraFlags)
        guard result.status == 0 else {
            throw FixtureError(message: "clang failed on \(name):\n\(result.stderr)")
        }
        return Array(try Data(contentsOf: output))
    }

    /// Compiles a host C program (for uprobe targets) with the toolchain's clang.
    public static func compileHostProgram(_ name: String, extraFlags: [String] = []) throws -> URL {
        let source = fixturesDirectory.appendingPathComponent(name)
        let output = try temporaryDirectory("host").appendingPathComponent(
            source.deletingPathExtension().lastPathComponent)
        let result = try run(clang, ["-O0", "-g", source.path, "-o", output.path] + extraFlags)
        guard result.status == 0 else {
            throw FixtureError(message: "clang failed on \(name):\n\(result.stderr)")
        }
        return output
    }

    /// True when running as root (effective uid 0).
    public static var isRoot: Bool { geteuid() == 0 }

    /// The calling thread's id: /proc/thread-self links to "TGID/task/TID".
    public static func currentThreadID() throws -> Int32 {
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")
        guard let tid = link.split(separator: "/").last.flatMap({ Int32($0) }) else {
            throw FixtureError(message: "/proc/thread-self links to '\(link)', not TGID/task/TID")
        }
        return tid
    }

    /// The calling thread's id (gettid(2), which Glibc's module lacks):
    /// /proc/thread-self links to "PID/task/TID".
    public static func threadID() -> Int32 {
        let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")) ?? ""
        return link.split(separator: "/").last.flatMap { Int32($0) } ?? getpid()
    }
}

/// A fixture could not be built.
public struct FixtureError: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
