import BCC
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The lookups some decoders make in the running system: kernel symbols
/// (`ksym`, `kstack`), block devices (`majorminor`), cgroups (`cgroup`) and
/// network interfaces (`ifname`), each cached. The sources are injectable so
/// that the decoders can be tested on text of the test's choosing.
public final class DecoderSystem: Sendable {
    private let loadSymbols: @Sendable () -> KernelSymbols?
    private let readPartitions: @Sendable () -> String?
    private let cgroupRoot: String
    private let interfaceName: @Sendable (UInt32) -> String?

    /// What has been looked up so far.
    private struct Caches {
        var symbols: KernelSymbols??
        var devices: [UInt32: String] = [:]
        var interfaces: [UInt32: String] = [:]
        var cgroups: [UInt64: String] = [:]
        var lastCgroupScan: ContinuousClock.Instant?
    }
    private let caches = Mutex(Caches())

    /// Lookups from the given sources.
    ///
    /// - Parameters:
    ///   - kernelSymbols: /proc/kallsyms parsed, loaded on first use; nil when unreadable.
    ///   - partitions: the text of /proc/partitions, read again when a device is not in it.
    ///   - cgroupRoot: where cgroup v2 is mounted; cgroup ids are its directories' inode numbers.
    ///   - interfaceName: the name of an interface index.
    public init(kernelSymbols: @escaping @Sendable () -> KernelSymbols?,
                partitions: @escaping @Sendable () -> String?,
                cgroupRoot: String = "/sys/fs/cgroup",
                interfaceName: @escaping @Sendable (UInt32) -> String?) {
        loadSymbols = kernelSymbols
        readPartitions = partitions
        self.cgroupRoot = cgroupRoot
        self.interfaceName = interfaceName
    }

    /// The running system's: /proc/kallsyms, /proc/partitions, the cgroup v2
    /// mount (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid systems), if_indextoname.
    public static func live() -> DecoderSystem {
        DecoderSystem(
            kernelSymbols: { try? KernelSymbols.shared() },
            partitions: { readProcFile("/proc/partitions") },
            cgroupRoot: readProcFile("/proc/self/mounts").flatMap(cgroup2Mount) ?? "/sys/fs/cgroup",
            interfaceName: { index in
                var name = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
                guard if_indextoname(index, &name) != nil else { return nil }
                return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            })
    }

    // MARK: - Kernel symbols

    /// The kernel function containing `address`, or "unknown_addr:0x…".
    func kernelSymbol(_ address: UInt64) -> String {
        kernelSymbols()?.resolve(address)?.symbol.name ?? "unknown_addr:0x\(String(address, radix: 16))"
    }

    /// The functions of a kernel stack, innermost first, one a line ("??" where unknown).
    func kernelStack(_ addresses: [UInt64]) -> String {
        let table = kernelSymbols()
        return addresses.map { table?.resolve($0)?.symbol.name ?? "??" }.joined(separator: "\n")
    }

    private func kernelSymbols() -> KernelSymbols? {
        caches.withLock { caches in
            if let symbols = caches.symbols { return symbols }
            let loaded = loadSymbols()
            caches.symbols = .some(loaded)
            return loaded
        }
    }

    // MARK: - Block devices

    /// The name /proc/partitions gives device `device` (user-space dev_t
    /// encoding), or "unknown:MAJOR:MINOR".
    func blockDevice(_ device: UInt32) -> String {
        caches.withLock { caches in
            if let name = caches.devices[device] { return name }
            let (major, minor) = PlainDecoders.majorMinor(device)
            guard let text = readPartitions(), let name = Self.partitionName(major: major, minor: minor, in: text) else {
                return "unknown:\(major):\(minor)"
            }
            caches.devices[device] = name
            return name
        }
    }

    /// The name in /proc/partitions' text ("major minor #blocks name" lines) of major:minor.
    static func partitionName(major: UInt32, minor: UInt32, in text: String) -> String? {
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count == 4, UInt32(fields[0]) == major, UInt32(fields[1]) == minor { return String(fields[3]) }
        }
        return nil
    }

    // MARK: - Network interfaces

    /// The name of interface `index`, or "unknown:INDEX".
    func interface(_ index: UInt32) -> String {
        caches.withLock { caches in
            if let name = caches.interfaces[index] { return name }
            guard let name = interfaceName(index) else { return "unknown:\(index)" }
            caches.interfaces[index] = name
            return name
        }
    }

    // MARK: - cgroups

    /// The path of the cgroup v2 directory whose id (inode number) is `id`,
    /// or "unknown_cgroup_id:ID". A miss walks the hierarchy again, at most once a second.
    func cgroup(_ id: UInt64) -> String {
        caches.withLock { caches in
            if let path = caches.cgroups[id] { return path }
            let now = ContinuousClock.now
            if caches.lastCgroupScan.map({ now - $0 >= .seconds(1) }) ?? true {
                caches.lastCgroupScan = now
                caches.cgroups = Self.scanCgroups(root: cgroupRoot)
                if let path = caches.cgroups[id] { return path }
            }
            return "unknown_cgroup_id:\(id)"
        }
    }

    /// Where cgroup v2 is mounted, from /proc/self/mounts' text.
    static func cgroup2Mount(mounts: String) -> String? {
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count >= 3, fields[2] == "cgroup2" { return String(fields[1]) }
        }
        return nil
    }

    /// Every directory under `root`, on `root`'s file system, by inode number.
    static func scanCgroups(root: String) -> [UInt64: String] {
        var result: [UInt64: String] = [:]
        var rootInfo = stat()
        guard lstat(root, &rootInfo) == 0 else { return result }
        var pending = [root]
        while let directory = pending.popLast() {
            var info = stat()
            guard lstat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_dev == rootInfo.st_dev else { continue }
            result[UInt64(info.st_ino)] = directory
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
            for entry in entries {
                let path = directory + "/" + entry
                var child = stat()
                if lstat(path, &child) == 0, (child.st_mode & S_IFMT) == S_IFDIR { pending.append(path) }
            }
        }
        return result
    }
}

/// A procfs or sysfs file's text (their sizes read as 0, so read to the end).
func readProcFile(_ path: String) -> String? {
    guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? handle.close() }
    guard let data = try? handle.readToEnd() else { return nil }
    return String(decoding: data, as: UTF8.self)
}
