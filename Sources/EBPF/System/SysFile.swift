#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads and writes whole files: the small text files of sysfs, procfs and
/// tracefs, and the files EBPF loads (/etc/ld.so.cache, kernel BTF, objects).
///
/// sysfs and procfs files report a size of 0, so files are read until end
/// of file; and each write to them must be a single write(2): the kernel
/// parses one write as one command.
enum SysFile {
    /// The whole content of the text file at `path`.
    static func read(_ path: String) throws(BPFError) -> String {
        String(decoding: try readBytes(path), as: UTF8.self)
    }

    /// The whole content of the file at `path`.
    ///
    /// - Throws: `BPFError.notFound` when it does not exist, `.permissionDenied`,
    ///   or `.system` naming the path.
    static func readBytes(_ path: String) throws(BPFError) -> [UInt8] {
        try OwnedFD.open(path, flags: O_RDONLY).readAll(object: path)
    }

    /// Writes `text` to the file at `path` in one write(2), appending when
    /// `append` is set. A short write is an error (`.system` with EIO): the
    /// rest would be parsed as a second command.
    static func write(_ path: String, _ text: String, append: Bool) throws(BPFError) {
        let file = try OwnedFD.open(path, flags: O_WRONLY | (append ? O_APPEND : O_TRUNC))
        let bytes = Array(text.utf8)
        let outcome = bytes.withUnsafeBytes { buffer in Result { () throws(Errno) in try file.write(buffer) } }
        guard case .success(let written) = outcome else {
            throw .system(operation: "write '\(text)'", object: path, errno: outcome.errno)
        }
        guard written == bytes.count else {
            throw .system(operation: "write '\(text)' (short write)", object: path, errno: EIO)
        }
    }

    /// True when `path` names an existing file or directory.
    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }
}
