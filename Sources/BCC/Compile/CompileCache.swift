// The two mechanisms of the compile cache, shared by the object cache
// (BPFCompiler) and the header cache (VmlinuxHeaderCache): one hash that
// names entries, one atomic step that publishes them.
import Glibc

/// FNV-1a, 64-bit: names a cache entry by everything it was made from.
///
/// Not a cryptographic hash, on purpose: the cache lives in the user's own
/// directory, so a collision someone crafts gains nothing that writing the
/// file directly would not, and accidental collisions among 64-bit names
/// are negligible at any number of entries a cache holds. What matters is
/// speed: every process hashes the kernel's 5.5 MB BTF once to find its
/// header (about 10 ms here, where SHA-256 in Swift took 60).
struct CacheKey: Sendable {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    /// Adds bytes.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var hash = value
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        value = hash
    }

    /// Adds bytes.
    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Adds a string's UTF-8 bytes, length-prefixed so that different lists
    /// of fields cannot hash as the same concatenation.
    mutating func update(field: String) {
        withUnsafeBytes(of: UInt64(field.utf8.count).littleEndian) { update($0) }
        var field = field
        field.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// The hash as 16 lowercase hex digits.
    var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// Files entering the cache.
enum CacheFile {
    /// Runs `write` on a unique temporary path beside `destination`, then
    /// links it into place unless another process got there first: readers
    /// see a whole file or none, and the first file published stays (a PCH
    /// records its header's modification time; objects under one name are
    /// equal). Filesystems without hard links get a rename, which may
    /// replace. The temporary file is removed in every case.
    static func publish(_ destination: String, write: (_ temporaryPath: String) throws(BCCError) -> Void) throws(BCCError) {
        let temporary = temporaryPath(for: destination)
        defer { unlink(temporary) }
        try write(temporary)
        if link(temporary, destination) == 0 || errno == EEXIST { return }
        guard rename(temporary, destination) == 0 else {
            throw .file(path: destination, detail: "cannot move \(temporary) into place: \(String(cString: strerror(errno)))")
        }
    }

    /// A path of this process's own beside `destination`, ending in `.tmp`
    /// and then `fileExtension` (clang needs a source's `.c`): named
    /// `DESTINATION.PID.RANDOM.tmp` so that ``removeStale(in:)`` can tell
    /// whose it is.
    static func temporaryPath(for destination: String, fileExtension: String = "") -> String {
        destination + ".\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp" + fileExtension
    }

    /// A temporary file older than this is stale even if its pid is alive
    /// again (reused): no compile or header build takes this long.
    static let staleAge = 3600

    /// Removes the temporary files in `directory` that a process which no
    /// longer runs left behind (killed mid-compile: a PCH half written is
    /// 14 MB), or that are older than ``staleAge``. Live processes' files stay.
    static func removeStale(in directory: String) {
        guard let names = FileSystem.entries(ofDirectory: directory) else { return }
        for name in names {
            let parts = name.split(separator: ".")
            // clang's own temporary beside its output adds "-XXXXXXXX.tmp" to ours.
            guard let tmp = parts.firstIndex(of: "tmp"), tmp >= 3, let pid = pid_t(parts[tmp - 2]),
                  UInt64(parts[tmp - 1].prefix { $0 != "-" }) != nil else { continue }
            let path = FileSystem.join(directory, name)
            let owned = pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
            if !owned || FileSystem.age(path).map({ $0 > staleAge }) == true {
                unlink(path)
            }
        }
    }

    /// Removes the temporary files ``publish(_:write:)`` left for
    /// `destination` in processes that ended before publishing (a run that
    /// exits while a PCH is being built on its thread): their names carry
    /// the writer's pid.
    static func removeAbandonedTemporaries(of destination: String) {
        let directory = FileSystem.directory(of: destination)
        let prefix = FileSystem.lastComponent(of: destination) + "."
        guard let names = FileSystem.entries(ofDirectory: directory) else { return }
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".tmp") {
            let fields = name.dropFirst(prefix.count).split(separator: ".")
            guard fields.count == 3, let pid = Int32(fields[0]), kill(pid, 0) != 0, errno == ESRCH else { continue }
            unlink(FileSystem.join(directory, name))
        }
    }
}
