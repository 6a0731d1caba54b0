// Reading whole files from procfs, whose sizes stat reports as zero.
import Foundation

/// Reads pseudo-files such as /proc/kallsyms and /proc/PID/maps to the end.
enum ProcFile {
    /// The bytes of `path`, read in chunks until end of file.
    static func bytes(_ path: String) throws(BCCError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .file(path: path, detail: "cannot read: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .file(path: path, detail: "cannot read: \(String(cString: strerror(errno)))")
            }
            if count == 0 { return result }
            result.append(contentsOf: chunk[0..<count])
        }
    }

    /// The text of `path`, decoded as UTF-8.
    static func text(_ path: String) throws(BCCError) -> String {
        String(decoding: try bytes(path), as: UTF8.self)
    }
}
