import BCC
import Foundation
import Testing
import TestSupport
@testable import BCCExporter

/// Every decoder, alone and in chains, on bytes and system text the test chooses.
@Suite struct DecoderTests {
    static let kallsyms = """
        ffffffff81000000 T _stext
        ffffffff81234560 T vfs_read
        ffffffff81234700 t vfs_write
        ffffffff81300000 T do_sys_openat2
        ffffffffc0100000 t nf_hook [nf_tables]
        """
    static let partitions = [
        "major minor  #blocks  name", "",
        " 254        0   52428800 vda", " 254        1   52427759 vda1",
        " 259        0  500107608 nvme0n1", "   7        3      32768 loop3",
    ].joined(separator: "\n")

    /// Lookups from the test's text: no /proc, no /sys.
    static let system = DecoderSystem(
        kernelSymbols: { KernelSymbols(kallsyms: kallsyms) },
        partitions: { partitions },
        cgroupRoot: "/nonexistent-cgroup-root",
        interfaceName: { $0 == 1 ? "lo" : $0 == 3 ? "eth0" : nil })

    /// Decodes `bytes` through `decoders`.
    static func decode(_ bytes: [UInt8], _ decoders: [DecoderSpec]) throws -> String? {
        try LabelDecoderChain(decoders, system: system).decode(bytes[...])
    }

    static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }

    @Test func uint() throws {
        #expect(try Self.decode([7], [.uint]) == "7")
        #expect(try Self.decode(Self.le(UInt16(513)), [.uint]) == "513")
        #expect(try Self.decode(Self.le(UInt32(70_000)), [.uint]) == "70000")
        #expect(try Self.decode(Self.le(UInt64.max), [.uint]) == "18446744073709551615")
        #expect(throws: LabelDecodeError.self) { _ = try Self.decode([1, 2, 3], [.uint]) }
    }

    @Test func string() throws {
        #expect(try Self.decode(Array("bash\0\0junk".utf8), [.string]) == "bash")
        #expect(try Self.decode(Array("sixteen-chars-ok".utf8), [.string]) == "sixteen-chars-ok")
        #expect(try Self.decode([0x66, 0xff, 0x6f, 0], [.string]) == "f\u{FFFD}o")
    }

    @Test func hex() throws {
        #expect(try Self.decode([0x00, 0xab, 0x10], [.hex]) == "00ab10")
    }

    @Test func inetIP() throws {
        #expect(try Self.decode([10, 0, 0, 1], [.inetIP]) == "10.0.0.1")
        var v6 = [UInt8](repeating: 0, count: 16)
        v6[15] = 1
        #expect(try Self.decode(v6, [.inetIP]) == "::1")
        #expect(try Self.decode([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1], [.inetIP]) == "2001:db8::1:0:0:1")
        #expect(try Self.decode([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1], [.inetIP]) == "2001:db8:1:0:1:1:1:1")
        #expect(try Self.decode([UInt8](repeating: 0, count: 16), [.inetIP]) == "::")
        #expect(try Self.decode([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1], [.inetIP]) == "127.0.0.1")
        #expect(try Self.decode([0xfe, 0x80] + [UInt8](repeating: 0, count: 14), [.inetIP]) == "fe80::")
        #expect(throws: LabelDecodeError.self) { _ = try Self.decode([1, 2, 3, 4, 5], [.inetIP]) }
    }

    @Test func ksymAndKstack() throws {
        #expect(try Self.decode(Self.le(UInt64(0xffffffff81234568)), [.ksym]) == "vfs_read")
        #expect(try Self.decode(Self.le(UInt64(0xffffffff81234700)), [.ksym]) == "vfs_write")
        #expect(try Self.decode(Self.le(UInt64(0x1000)), [.ksym]) == "unknown_addr:0x1000")
        let stack = Self.le(UInt64(0xffffffff81300010)) + Self.le(UInt64(0xffffffff81234561)) + Self.le(UInt64(0x10))
            + Self.le(UInt64(0)) + Self.le(UInt64(0xffffffff81234561))
        #expect(try Self.decode(stack, [.kstack]) == "do_sys_openat2\nvfs_read\n??")
    }

    @Test func syscallAndErrno() throws {
        #expect(try Self.decode(Self.le(UInt64(SyscallNames.number(of: "openat")!)), [.uint, .syscall]) == "openat")
        #expect(try Self.decode(Self.le(UInt64(99_999)), [.uint, .syscall]) == "unknown_syscall:99999")
        #expect(SyscallNames.name(of: -1) == nil)
        #if arch(x86_64)
        #expect(SyscallNames.name(of: 0) == "read" && SyscallNames.name(of: 257) == "openat" && SyscallNames.name(of: 335) == nil)
        #expect(SyscallNames.name(of: 462) == "mseal")
        #endif
        #expect(try Self.decode(Self.le(UInt64(2)), [.uint, .errno]) == "ENOENT")
        #expect(try Self.decode(Self.le(UInt32(110)), [.uint, .errno]) == "ETIMEDOUT")
        #expect(try Self.decode(Self.le(UInt64(133)), [.uint, .errno]) == "EHWPOISON")
        #expect(try Self.decode(Self.le(UInt64(0)), [.uint, .errno]) == "unknown:0")
        #expect(try Self.decode(Self.le(UInt64(4000)), [.uint, .errno]) == "unknown:4000")
    }

    @Test func majorMinor() throws {
        // User-space dev_t: minor's low byte, major << 8, minor's high bits << 12.
        func dev(_ major: UInt32, _ minor: UInt32) -> [UInt8] { Self.le((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)) }
        #expect(try Self.decode(dev(254, 1), [.majorMinor]) == "vda1")
        #expect(try Self.decode(dev(7, 3), [.majorMinor]) == "loop3")
        #expect(try Self.decode(dev(259, 0), [.majorMinor]) == "nvme0n1")
        #expect(try Self.decode(dev(8, 300), [.majorMinor]) == "unknown:8:300")
        let wide = PlainDecoders.majorMinor(UInt32(0x01) | (259 << 8) | (0x10000 << 12))
        #expect(wide.major == 259 && wide.minor == 0x10001)
    }

    @Test func ifname() throws {
        #expect(try Self.decode(Self.le(UInt32(1)), [.ifname]) == "lo")
        #expect(try Self.decode(Self.le(UInt32(9)), [.ifname]) == "unknown:9")
        // The live lookup: index 1 is the loopback interface on Linux.
        #expect(DecoderSystem.live().interface(1) == "lo")
    }

    @Test func cgroup() throws {
        #expect(try Self.decode(Self.le(UInt64(12345)), [.uint, .cgroup]) == "unknown_cgroup_id:12345")
        // The live lookup: this process's cgroup directory's inode number is its cgroup id.
        #expect(DecoderSystem.cgroup2Mount(mounts: "tmpfs /sys/fs/cgroup tmpfs rw 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n")
                == "/sys/fs/cgroup/unified")
        let root = try #require(readProcFile("/proc/self/mounts").flatMap(DecoderSystem.cgroup2Mount), "no cgroup v2 mount")
        let line = try #require(readProcFile("/proc/self/cgroup")?.split(separator: "\n").first { $0.hasPrefix("0::") })
        let relative = line.dropFirst(3)
        let path = relative == "/" ? root : root + relative
        var info = stat()
        try #require(lstat(path, &info) == 0, "no cgroup v2 directory at \(path)")
        #expect(DecoderSystem.live().cgroup(UInt64(info.st_ino)) == path)
    }

    @Test func dname() throws {
        #expect(try Self.decode([3] + Array("www".utf8) + [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0, 0, 0], [.dname])
                == "www.example.com")
        #expect(try Self.decode([0, 0], [.dname]) == ".")
        #expect(try Self.decode([9, 0x61, 0x62], [.dname]) == "\t" + "ab")
    }

    @Test func staticMap() throws {
        let map = DecoderSpec.staticMap(mapping: ["0": "read", "1": "write"], allowUnknown: false)
        #expect(try Self.decode([1], [.uint, map]) == "write")
        #expect(try Self.decode([7], [.uint, map]) == "unknown:7")
        let lenient = DecoderSpec.staticMap(mapping: ["0": "read"], allowUnknown: true)
        #expect(try Self.decode([7], [.uint, lenient]) == "7")
        #expect(try Self.decode(Array("sda\0".utf8), [.string, .staticMap(mapping: ["sda": "root disk"], allowUnknown: false)]) == "root disk")
    }

    @Test func regexpTakesTheFirstGroupOrSkips() throws {
        let expression = DecoderSpec.regexp(patterns: ["^kworker/(\\d+)", "^(sshd|nginx)$", "^ba"])
        #expect(try Self.decode(Array("kworker/3:1\0".utf8), [.string, expression]) == "3")
        #expect(try Self.decode(Array("nginx\0".utf8), [.string, expression]) == "nginx")
        #expect(try Self.decode(Array("bash\0".utf8), [.string, expression]) == "ba")
        #expect(try Self.decode(Array("zsh\0".utf8), [.string, expression]) == nil)
    }

    @Test func keyLayoutSplitsWithPadding() throws {
        let layout = KeyLayout(labels: [
            LabelSpec(name: "dev", size: 4, decoders: [.uint]),
            LabelSpec(name: "op", size: 1, padding: 3, decoders: [.uint, .staticMap(mapping: ["1": "write"], allowUnknown: false)]),
            LabelSpec(name: "bucket", size: 8, decoders: [.uint]),
        ], system: Self.system)
        #expect(layout.size == 16)
        #expect(layout.names == ["dev", "op", "bucket"])
        let key = Self.le(UInt32(0x0801)) + [1, 0xaa, 0xbb, 0xcc] + Self.le(UInt64(12))
        #expect(try layout.decode(key[...]) == ["2049", "write", "12"])
        #expect(throws: LabelDecodeError.self) { _ = try layout.decode(key[0..<8]) }
    }
}
