// open(2)'s flag names, as bcc's opensnoop -f takes them (Python's os.O_*).

/// The values of open(2)'s `O_` flags on this architecture.
public enum OpenFlags {
    #if arch(arm64)
    private static let directory: Int32 = 0o40000, noFollow: Int32 = 0o100000, direct: Int32 = 0o200000
    #else
    private static let directory: Int32 = 0o200000, noFollow: Int32 = 0o400000, direct: Int32 = 0o40000
    #endif

    /// Every name with its value (O_LARGEFILE is 0 on 64-bit, as glibc and Python have it).
    public static let values: [String: Int32] = [
        "O_RDONLY": 0, "O_WRONLY": 0o1, "O_RDWR": 0o2, "O_ACCMODE": 0o3, "O_CREAT": 0o100, "O_EXCL": 0o200,
        "O_NOCTTY": 0o400, "O_TRUNC": 0o1000, "O_APPEND": 0o2000, "O_NONBLOCK": 0o4000, "O_NDELAY": 0o4000,
        "O_DSYNC": 0o10000, "O_ASYNC": 0o20000, "O_DIRECT": direct, "O_LARGEFILE": 0, "O_DIRECTORY": directory,
        "O_NOFOLLOW": noFollow, "O_NOATIME": 0o1000000, "O_CLOEXEC": 0o2000000, "O_SYNC": 0o4010000,
        "O_RSYNC": 0o4010000, "O_PATH": 0o10000000, "O_TMPFILE": 0o20000000 | directory,
    ]

    /// The bits of `names` or'ed together (bcc's flag_filter_mask).
    ///
    /// - Throws: ``OpenFlagsError`` naming the first name that is not an `O_` flag.
    public static func mask(_ names: [String]) throws(OpenFlagsError) -> Int32 {
        var mask: Int32 = 0
        for name in names {
            guard name.hasPrefix("O_"), let value = values[name] else { throw OpenFlagsError(name: name) }
            mask |= value
        }
        return mask
    }
}

/// A name that is not one of open(2)'s flags.
public struct OpenFlagsError: Error, CustomStringConvertible {
    /// The name given.
    public var name: String
    /// bcc's message.
    public var description: String { "Bad flag: \(name)" }
}
