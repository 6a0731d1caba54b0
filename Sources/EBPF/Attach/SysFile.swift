import Glibc

/// Reads and writes the small text files of sysfs, procfs and tracefs.
///
/// These files report a size of 0, so they are read until end of file, and
/// each write must be a single write(2): the kernel parses one write as one
/// command.
enum SysFile {
    /// The whole content of the text file at `path`.
    static func read(_ path: String) throws -> String {
        String(decoding: try readBytes(path), as: UTF8.self)
    }

    /// The whole content of the file at `path`.
    static func readBytes(_ path: String) throws -> [UInt8] {
        let fd = try open(path, flags: O_RDONLY)
        defer { _ = Glibc.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw BPFError.system(operation: "read", object: path, errno: errno)
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }

    /// Writes `text` to the file at `path` in one write(2), appending when `append` is set.
    static func write(_ path: String, _ text: String, append: Bool) throws {
        let fd = try open(path, flags: O_WRONLY | (append ? O_APPEND : O_TRUNC))
        defer { _ = Glibc.close(fd) }
        let bytes = Array(text.utf8)
        while true {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { throw BPFError.system(operation: "write '\(text)'", object: path, errno: errno) }
            if count != bytes.count {
                throw BPFError.system(operation: "write '\(text)' (short write)", object: path, errno: EIO)
            }
            return
        }
    }

    /// True when `path` names an existing file or directory.
    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    private static func open(_ path: String, flags: Int32) throws -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC)
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            switch errno {
            case ENOENT: throw BPFError.notFound(what: path)
            case EACCES, EPERM: throw BPFError.permissionDenied(operation: "open \(path)")
            default: throw BPFError.system(operation: "open", object: path, errno: errno)
            }
        }
    }
}
