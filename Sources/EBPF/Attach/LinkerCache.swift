/// The dynamic linker's cache, /etc/ld.so.cache: which file each library
/// soname resolves to. Only glibc's current format ("glibc-ld.so.cache1.1",
/// alone or after the old "ld.so-1.7.0" table) is read.
///
/// Layout (glibc sysdeps/generic/dl-cache.h): a 48-byte header (magic and
/// version, entry count, string table size, flags, extension offset), then
/// 24-byte entries of flags, key, value, osversion and hwcap; key and value
/// are offsets of NUL-terminated strings, counted from the header's start.
struct LinkerCache: Equatable {
    /// One library: its soname and the file it resolves to.
    struct Entry: Equatable {
        /// The soname, e.g. "libc.so.6".
        var name: String
        /// The file, e.g. "/lib/x86_64-linux-gnu/libc.so.6".
        var path: String
        /// The entry's flags: the ABI in the low byte (3: ELF libc6) and the
        /// architecture above it (0x0300: x86-64, 0x0a00: AArch64).
        var flags: Int32
    }

    /// The entries in cache order.
    var entries: [Entry]

    /// The default location of the cache.
    static let defaultPath = "/etc/ld.so.cache"

    private static let oldMagic = Array("ld.so-1.7.0".utf8)
    private static let newMagic = Array("glibc-ld.so.cache1.1".utf8)
    private static let headerSize = 48
    private static let entrySize = 24
    private static let oldEntrySize = 12

    /// Reads the cache at `path`.
    init(contentsOf path: String = LinkerCache.defaultPath) throws(BPFError) {
        let text = try SysFile.readBytes(path)
        try self.init(bytes: text, path: path)
    }

    /// Parses the bytes of a cache file; `path` names it in errors.
    ///
    /// - Throws: `BPFError.malformed` saying which offset is bad; never reads out of bounds.
    init(bytes: [UInt8], path: String = LinkerCache.defaultPath) throws(BPFError) {
        func fail(_ detail: String) -> BPFError { .malformed(what: path, detail: detail) }
        func u32(_ offset: Int) throws(BPFError) -> UInt32 {
            guard offset >= 0, offset <= bytes.count - 4 else { throw fail("truncated at offset \(offset)") }
            return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                | UInt32(bytes[offset + 3]) << 24
        }
        func hasMagic(_ magic: [UInt8], at offset: Int) -> Bool {
            offset >= 0 && bytes.count - offset >= magic.count && Array(bytes[offset..<offset + magic.count]) == magic
        }

        var start = 0
        if hasMagic(Self.oldMagic, at: 0) {
            // The old table (12-byte entries after a 16-byte header) comes first;
            // the new header follows it, aligned to 8 bytes.
            let count = Int(try u32(12))
            guard count <= bytes.count / Self.oldEntrySize else { throw fail("old-format entry count \(count) too large") }
            start = (16 + count * Self.oldEntrySize + 7) & ~7
        }
        guard hasMagic(Self.newMagic, at: start) else {
            throw fail("no glibc-ld.so.cache1.1 header at offset \(start)")
        }
        let count = Int(try u32(start + 20))
        guard start + Self.headerSize <= bytes.count,
            count <= (bytes.count - start - Self.headerSize) / Self.entrySize
        else { throw fail("entry count \(count) does not fit in \(bytes.count) bytes") }

        func string(_ offset: UInt32, entry: Int) throws(BPFError) -> String {
            let begin = start + Int(offset)
            guard begin < bytes.count else {
                throw fail("entry \(entry) names a string at offset \(begin), past the end (\(bytes.count))")
            }
            guard let end = bytes[begin...].firstIndex(of: 0) else {
                throw fail("entry \(entry): string at offset \(begin) is not terminated")
            }
            return String(decoding: bytes[begin..<end], as: UTF8.self)
        }

        var entries: [Entry] = []
        entries.reserveCapacity(count)
        for index in 0..<count {
            let offset = start + Self.headerSize + index * Self.entrySize
            entries.append(Entry(
                name: try string(try u32(offset + 4), entry: index),
                path: try string(try u32(offset + 8), entry: index),
                flags: Int32(bitPattern: try u32(offset))))
        }
        self.entries = entries
    }

    /// The file of the first entry whose soname satisfies `matches`,
    /// preferring entries for this machine's architecture.
    func path(where matches: (String) -> Bool) -> String? {
        let candidates = entries.filter { matches($0.name) }
        return (candidates.first { $0.flags & 0xff00 == Self.hostArchitecture } ?? candidates.first)?.path
    }

    /// The architecture bits of ld.so.cache flags for this build.
    private static var hostArchitecture: Int32 {
        #if arch(x86_64)
            return 0x0300
        #elseif arch(arm64)
            return 0x0a00
        #else
            return 0
        #endif
    }
}
