import Foundation
import TestSupport

/// A memory cgroup of its own under the test process's one (cgroup v1's
/// memory hierarchy or the v2 unified one), with a limit; removed on `remove()`.
struct MemoryCgroup {
    /// The cgroup's directory.
    let path: String
    /// The file a task writes its pid to, to move into the cgroup.
    let tasksFile: String

    /// A cgroup limited to `limitBytes`, or nil when this kernel has no memory cgroup controller.
    static func create(label: String, limitBytes: Int) throws -> MemoryCgroup? {
        let membership = try String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)
        for line in membership.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3 else { continue }
            if parts[1].split(separator: ",").contains("memory") {
                let path = "/sys/fs/cgroup/memory\(parts[2] == "/" ? "" : parts[2])/\(label)-\(getpid())"
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
                try "\(limitBytes)".write(toFile: path + "/memory.limit_in_bytes", atomically: false, encoding: .utf8)
                return MemoryCgroup(path: path, tasksFile: path + "/tasks")
            }
            if parts[0] == "0", parts[1].isEmpty,
               let controllers = try? String(contentsOfFile: "/sys/fs/cgroup\(parts[2])/cgroup.subtree_control", encoding: .utf8),
               controllers.contains("memory") {
                let path = "/sys/fs/cgroup\(parts[2] == "/" ? "" : parts[2])/\(label)-\(getpid())"
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
                try "\(limitBytes)".write(toFile: path + "/memory.max", atomically: false, encoding: .utf8)
                try? "0".write(toFile: path + "/memory.swap.max", atomically: false, encoding: .utf8)
                return MemoryCgroup(path: path, tasksFile: path + "/cgroup.procs")
            }
        }
        return nil
    }

    /// Removes the cgroup (its tasks must have exited).
    func remove() {
        for _ in 0..<50 {
            if rmdir(path) == 0 || errno == ENOENT { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }
}
