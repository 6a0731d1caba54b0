// What /proc says about the tool's own process.
import Glibc

/// Links under /proc/self.
public enum ProcessPaths {
    /// This process's working directory ("." when it cannot be read).
    public static func currentDirectory() -> String {
        link("/proc/self/cwd") ?? "."
    }

    /// The target of the symbolic link at `path`, or nil.
    static func link(_ path: String) -> String? {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX))
        let length = buffer.withUnsafeMutableBufferPointer { buffer in
            readlink(path, buffer.baseAddress!, buffer.count)
        }
        guard length > 0 else { return nil }
        return String(decoding: buffer[0 ..< length], as: UTF8.self)
    }
}
