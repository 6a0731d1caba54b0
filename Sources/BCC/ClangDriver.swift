import Foundation

/// Runs the Swift toolchain's clang with the BPF target.
struct ClangDriver: Sendable {
    /// The clang executable.
    var path: String

    /// The clang to use: $BCC_CLANG, else the clang beside the running Swift
    /// toolchain, else /opt/swift/usr/bin/clang, else `clang` on PATH.
    static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ClangDriver {
        var searched: [String] = []
        if let override = environment["BCC_CLANG"], !override.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: override) else {
                throw BCCError.compilerNotFound(searched: ["BCC_CLANG=\(override) (not executable)"])
            }
            return ClangDriver(path: override)
        }
        var candidates: [String] = []
        if let toolchain = runningToolchainBinDirectory() { candidates.append(toolchain + "/clang") }
        candidates.append("/opt/swift/usr/bin/clang")
        for directory in (environment["PATH"] ?? "").split(separator: ":") { candidates.append("\(directory)/clang") }
        for candidate in candidates {
            searched.append(candidate)
            if FileManager.default.isExecutableFile(atPath: candidate) { return ClangDriver(path: candidate) }
        }
        throw BCCError.compilerNotFound(searched: searched)
    }

    /// The toolchain's usr/bin, found from where libswiftCore.so is mapped in this process.
    private static func runningToolchainBinDirectory() -> String? {
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return nil }
        for line in maps.split(separator: "\n") where line.hasSuffix("/libswiftCore.so") {
            guard let slash = line.firstIndex(of: "/") else { continue }
            let library = String(line[slash...])
            // <toolchain>/usr/lib/swift/linux/libswiftCore.so -> <toolchain>/usr/bin
            guard let range = library.range(of: "/lib/swift/") else { continue }
            return String(library[..<range.lowerBound]) + "/bin"
        }
        return nil
    }

    /// What identifies the compiler for the cache: its path, size and modification time (no process run).
    func identity() -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes?[.size] as? NSNumber)?.int64Value ?? -1
        let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(path)|\(size)|\(modified)"
    }

    /// The result of one compilation.
    struct Output: Sendable {
        var status: Int32
        var diagnostics: String
    }

    /// Compiles the C file at `source` to a BPF object at `output`.
    func compile(source: String, arguments: [String], output: String) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments + ["-c", source, "-o", output]
        let errors = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw BCCError.compilerFailed(command: path, detail: "cannot run: \(error)")
        }
        let stderrData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, diagnostics: String(decoding: stderrData, as: UTF8.self))
    }
}
