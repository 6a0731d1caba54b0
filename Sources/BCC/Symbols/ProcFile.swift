// Reading whole files from procfs, whose sizes stat reports as zero.
import EBPF
import Glibc

/// Reads pseudo-files such as /proc/kallsyms and /proc/PID/maps to the end.
enum ProcFile {
    /// The bytes of `path`, read in chunks until end of file.
    static func bytes(_ path: String) throws(BCCError) -> [UInt8] {
        do {
            let file = try OwnedFD.open(path, flags: O_RDONLY)
            defer { file.close() }
            return try file.readAll(object: path)
        } catch {
            throw .file(path: path, detail: "cannot read: \(error)")
        }
    }

    /// The text of `path`, decoded as UTF-8.
    static func text(_ path: String) throws(BCCError) -> String {
        String(decoding: try bytes(path), as: UTF8.self)
    }
}
