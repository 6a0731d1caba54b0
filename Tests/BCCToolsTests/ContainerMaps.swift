import BCC
import Foundation
import TestSupport

/// A hash map pinned in a BPF filesystem, as a user makes one for bcc's
/// --cgroupmap (u64 cgroup ids to u64) or --mntnsmap (u64 mount namespace
/// inode numbers to u32); `remove()` unpins it and unmounts the filesystem.
struct PinnedIDMap {
    /// Where the map is pinned.
    let path: String
    /// The BPF filesystem of this map alone, mounted on a temporary directory.
    let directory: URL

    /// Pins a map with `ids` as its keys; `valueSize` is 8 or 4.
    init(label: String, ids: [UInt64], valueSize: Int) throws {
        directory = try TestSupport.temporaryDirectory("bpffs-\(label)")
        guard mount("bpf", directory.path, "bpf", 0, nil) == 0 else {
            throw SpawnError(description: "mount a BPF filesystem: \(String(cString: strerror(errno)))")
        }
        path = directory.appendingPathComponent(label).path
        let valueType = valueSize == 8 ? "u64" : "u32"
        let b = try BPF(text: "BPF_TABLE_PINNED(\"hash\", u64, \(valueType), ids, 1024, \"\(path)\");")
        defer { b.close() }
        for id in ids {
            try b["ids"].set(withUnsafeBytes(of: id) { Array($0) }, [UInt8](repeating: 1, count: valueSize))
        }
    }

    /// Unpins the map.
    func remove() {
        unlink(path)
        umount(directory.path)
        try? FileManager.default.removeItem(at: directory)
    }

    /// The cgroup v2 id of the cgroup at `directory` (its inode number).
    static func cgroupID(_ directory: String) throws -> UInt64 {
        var info = stat()
        guard stat(directory, &info) == 0 else { throw SpawnError(description: "stat \(directory): \(errno)") }
        return UInt64(info.st_ino)
    }

    /// The inode number of process `pid`'s mount namespace.
    static func mountNamespace(of pid: String) throws -> UInt64 {
        try cgroupID("/proc/\(pid)/ns/mnt")
    }

    /// A new cgroup v2 cgroup (nil without a v2 hierarchy) and a map of its id;
    /// `remove()` the map, then `rmdir` the cgroup once its tasks have exited.
    static func cgroup(label: String) throws -> (cgroup: String, map: PinnedIDMap)? {
        guard let root = cgroup2Root else { return nil }
        let cgroup = "\(root)/swiftbcc-\(label)-\(getpid())"
        try FileManager.default.createDirectory(atPath: cgroup, withIntermediateDirectories: false)
        do {
            return (cgroup, try PinnedIDMap(label: "cgroupmap", ids: [try cgroupID(cgroup)], valueSize: 8))
        } catch {
            rmdir(cgroup)
            throw error
        }
    }

    /// The cgroup v2 hierarchy's mount point (v2 alone, or hybrid's unified), or nil without one.
    static var cgroup2Root: String? {
        ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"].first { FileManager.default.fileExists(atPath: $0 + "/cgroup.procs") }
    }
}
