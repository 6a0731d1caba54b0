// Reading whole files from procfs, whose sizes stat reports as zero.
import BPFObject
import EBPF
import Glibc

/// Reads pseudo-files such as /proc/kallsyms and /proc/PID/maps to the end.
public enum ProcFile {
    /// The bytes of `path`, read in chunks until end of file.
    public static func bytes(_ path: String) throws(BCCError) -> [UInt8] {
        do {
            let file = try OwnedFD.open(path, flags: O_RDONLY)
            defer { file.close() }
            return try file.readAll(object: path)
        } catch {
            throw .file(path: path, detail: "cannot read: \(error)")
        }
    }

    /// The text of `path`, decoded as UTF-8.
    public static func text(_ path: String) throws(BCCError) -> String {
        String(decoding: try bytes(path), as: UTF8.self)
    }

    /// The text of a one-value file (/proc/PID/comm, /proc/loadavg, a
    /// sysctl) without the whitespace around it, as Python's `strip()`.
    public static func value(_ path: String) throws(BCCError) -> String {
        try text(path).trimmingWhitespace()
    }

    /// The path of process `pid`'s executable (the /proc/PID/exe link), nil
    /// when it cannot be read.
    public static func executable(pid: Int32) -> String? {
        var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/\(pid)/exe", &target, target.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: target[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
