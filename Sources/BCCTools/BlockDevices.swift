// Block device names by the kernel's dev_t, as bcc's block I/O tools look
// them up in /proc/diskstats, and the -d DISK filter's device number.
import BCC
import Glibc

/// The kernel's block devices by number: `MKDEV(major, minor)` as the
/// kernel encodes a dev_t (minor in the low 20 bits), the encoding the
/// block tracepoints and `struct gendisk` give a BPF program.
public struct BlockDevices: Sendable {
    /// Bits of the minor number in a kernel dev_t (the kernel's MINORBITS).
    public static let minorBits = 20

    private var names: [UInt32: String]

    /// The devices listed in `diskstats`, the text of /proc/diskstats
    /// ("major minor name counters..." lines); lines that do not parse are skipped.
    public init(diskstats: String) {
        var names: [UInt32: String] = [:]
        for line in diskstats.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 3, let major = UInt32(fields[0]), let minor = UInt32(fields[1]) else { continue }
            names[Self.kernelDevice(major: major, minor: minor)] = String(fields[2])
        }
        self.names = names
    }

    /// The running system's devices, from /proc/diskstats (none when it cannot be read).
    public static func current() -> BlockDevices {
        BlockDevices(diskstats: (try? ProcFile.text("/proc/diskstats")) ?? "")
    }

    /// The name of kernel device `device` ("vda", "sda1"), or nil when it is not listed.
    public func name(ofKernelDevice device: UInt32) -> String? {
        names[device]
    }

    /// `MKDEV(major, minor)` in the kernel's encoding.
    public static func kernelDevice(major: UInt32, minor: UInt32) -> UInt32 {
        major << UInt32(minorBits) | (minor & ((1 << UInt32(minorBits)) - 1))
    }

    /// The kernel device number of `/dev/<disk>` for bcc's `-d DISK`.
    ///
    /// - Throws: ``BlockDeviceError`` naming the disk when `/dev/<disk>` is
    ///   missing or not a block device.
    public static func kernelDevice(ofDisk disk: String) throws(BlockDeviceError) -> UInt32 {
        let path = disk.hasPrefix("/") ? disk : "/dev/" + disk
        var info = stat()
        guard stat(path, &info) == 0 else { throw .noSuchDisk(disk) }
        guard info.st_mode & S_IFMT == S_IFBLK else { throw .notABlockDevice(disk) }
        // glibc's major()/minor() for the user-space encoding of st_rdev.
        let raw = UInt64(info.st_rdev)
        let major = UInt32((raw >> 8) & 0xfff) | UInt32((raw >> 32) & 0xffff_f000)
        let minor = UInt32(raw & 0xff) | UInt32((raw >> 12) & 0xffff_ff00)
        return kernelDevice(major: major, minor: minor)
    }
}

/// A `-d DISK` that names no block device.
public enum BlockDeviceError: Error, Equatable, CustomStringConvertible {
    /// `/dev/<disk>` does not exist (bcc's "no such disk").
    case noSuchDisk(String)
    /// `/dev/<disk>` exists but is not a block device.
    case notABlockDevice(String)

    /// bcc's message.
    public var description: String {
        switch self {
        case .noSuchDisk(let disk): return "no such disk '\(disk)'"
        case .notABlockDevice(let disk): return "'\(disk)' is not a block device"
        }
    }
}
