// What /proc says about a process, read when a tool prints one of its events.
import Glibc

/// Links under /proc/PID.
public enum ProcessPaths {
    /// The target of /proc/PID/cwd: the process's working directory, or nil
    /// once it has exited (or when its directory is unreadable).
    public static func workingDirectory(of pid: UInt32) -> String? {
        link("/proc/\(pid)/cwd")
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
