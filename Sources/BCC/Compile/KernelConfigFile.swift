import BCCDialect
import Foundation

/// The running kernel's build configuration, where the system keeps it:
/// /boot/config-RELEASE (plain text), else /proc/config.gz (CONFIG_IKCONFIG_PROC),
/// decompressed by the system's gzip. Read on a compile cache miss only.
enum KernelConfigFile {
    /// The configuration of kernel `release`, or nil when the system has
    /// none in either place (the prelude then gives the architecture's
    /// symbols alone).
    static func read(release: String) -> KernelConfig? {
        if let data = FileManager.default.contents(atPath: "/boot/config-\(release)") {
            return KernelConfig(text: String(decoding: data, as: UTF8.self))
        }
        guard FileManager.default.fileExists(atPath: "/proc/config.gz"), let text = gunzip("/proc/config.gz") else { return nil }
        return KernelConfig(text: text)
    }

    /// The decompressed text of gzip file `path`, through `gzip -dc`.
    private static func gunzip(_ path: String) -> String? {
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-dc", path]
        let output = Pipe()
        gzip.standardOutput = output
        gzip.standardError = FileHandle.nullDevice
        do {
            try gzip.run()
        } catch {
            return nil
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        gzip.waitUntilExit()
        return gzip.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }
}
