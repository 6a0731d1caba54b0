import BCCDialect
import CBPF
import EBPF
import Glibc

/// The running kernel's build configuration, where the system keeps it:
/// /boot/config-RELEASE (plain text), else /proc/config.gz (CONFIG_IKCONFIG_PROC),
/// decompressed by the system's gzip. Read on a compile cache miss only.
enum KernelConfigFile {
    /// The configuration of kernel `release`, or nil when the system has
    /// none in either place (the prelude then gives the architecture's
    /// symbols alone).
    static func read(release: String) -> KernelConfig? {
        if let file = try? OwnedFD.open("/boot/config-\(release)", flags: O_RDONLY),
           let bytes = try? file.readAll(object: "/boot/config-\(release)") {
            return KernelConfig(text: String(decoding: bytes, as: UTF8.self))
        }
        guard access("/proc/config.gz", R_OK) == 0, let text = gunzip("/proc/config.gz") else { return nil }
        return KernelConfig(text: text)
    }

    /// The decompressed text of gzip file `path`, through `gzip -dc` (found
    /// on PATH by env), started as clang is: tied to this process.
    private static func gunzip(_ path: String) -> String? {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return nil }
        // Neither end may leak into children other threads spawn.
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        let output = OwnedFD(rawValue: ends[0])
        let discarded = open("/dev/null", O_WRONLY | O_CLOEXEC)
        let arguments: [String] = ["env", "gzip", "-dc", path]
        var argv = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        let child = cbpf_spawn_tied("/usr/bin/env", &argv, environ, ends[1], discarded)
        close(ends[1])
        if discarded >= 0 { close(discarded) }
        guard child > 0 else { return nil }
        let text = try? output.readAll(object: "gzip -dc \(path)")
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        return status == 0 ? text.map { String(decoding: $0, as: UTF8.self) } : nil
    }
}
