// /proc/PID/maps: which file backs which range of a process's address space.

/// One line of /proc/PID/maps.
public struct ProcessMapping: Hashable, Sendable {
    /// First address of the range.
    public var start: UInt64
    /// One past the last address.
    public var end: UInt64
    /// Permissions, e.g. "r-xp".
    public var permissions: String
    /// Offset in the file of `start`.
    public var fileOffset: UInt64
    /// Device, "major:minor" in hex.
    public var device: String
    /// Inode of the file (0 for anonymous memory).
    public var inode: UInt64
    /// The file's path, or a pseudo name such as "[stack]", or "" for anonymous memory.
    public var path: String

    /// True for executable ranges backed by a file on disk.
    public var isExecutableFile: Bool {
        permissions.dropFirst(2).first == "x" && path.hasPrefix("/") && inode != 0
            && !path.hasSuffix(" (deleted)")
    }

    /// Creates a mapping.
    public init(start: UInt64, end: UInt64, permissions: String, fileOffset: UInt64,
                device: String, inode: UInt64, path: String) {
        self.start = start
        self.end = end
        self.permissions = permissions
        self.fileOffset = fileOffset
        self.device = device
        self.inode = inode
        self.path = path
    }

    /// Parses one maps line, or returns nil if it does not have the six columns.
    public init?(line: Substring) {
        let columns = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        guard columns.count >= 5 else { return nil }
        let range = columns[0].split(separator: "-")
        guard range.count == 2, let start = UInt64(range[0], radix: 16), let end = UInt64(range[1], radix: 16),
              let offset = UInt64(columns[2], radix: 16), let inode = UInt64(columns[4])
        else { return nil }
        let path = columns.count == 6 ? columns[5].drop(while: { $0 == " " }) : ""
        self.init(start: start, end: end, permissions: String(columns[1]), fileOffset: offset,
                  device: String(columns[3]), inode: inode, path: String(path))
    }

    /// Parses the text of a maps file, skipping malformed lines.
    public static func parse(_ text: String) -> [ProcessMapping] {
        text.split(separator: "\n").compactMap { ProcessMapping(line: $0) }
    }
}
