#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A Linux kernel version, as uname(2) reports it ("6.18.44-fc-v669" is 6.18.44).
public struct KernelVersion: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// The major version.
    public var major: Int
    /// The minor version.
    public var minor: Int
    /// The patch level (sublevel).
    public var patch: Int

    /// A version from its parts.
    public init(_ major: Int, _ minor: Int, _ patch: Int = 0) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses the leading "major.minor[.patch]" of a release string; nil if it has none.
    public init?(release: String) {
        let numbers = release.prefix { $0.isNumber || $0 == "." }.split(separator: ".").prefix(3).compactMap { Int($0) }
        guard numbers.count >= 2 else { return nil }
        self.init(numbers[0], numbers[1], numbers.count > 2 ? numbers[2] : 0)
    }

    /// The running kernel's version (0.0.0 if uname's release cannot be parsed).
    public static let current: KernelVersion = {
        var names = utsname()
        guard uname(&names) == 0 else { return KernelVersion(0, 0) }
        let release = withUnsafeBytes(of: names.release) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        return KernelVersion(release: release) ?? KernelVersion(0, 0)
    }()

    /// LINUX_VERSION_CODE: major << 16 | minor << 8 | patch (patch capped at 255, as the kernel does).
    public var code: UInt32 {
        UInt32(major) << 16 | UInt32(minor) << 8 | UInt32(min(patch, 255))
    }

    /// Orders versions by major, then minor, then patch.
    public static func < (lhs: KernelVersion, rhs: KernelVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }

    /// A readable summary for messages and logs.
    public var description: String { "\(major).\(minor).\(patch)" }
}
