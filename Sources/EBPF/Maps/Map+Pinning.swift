import BPFObject
import CBPF
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// Maps outlive the process that made them when pinned in a BPF filesystem
// (/sys/fs/bpf): another process, or a later run, opens the same map by path.

extension Map {
    /// Opens the map pinned at `path` (BPF_OBJ_GET), with its type, sizes,
    /// flags and name as the kernel reports them.
    ///
    /// - Throws: `BPFError.notFound` when nothing is pinned there,
    ///   `.invalidArgument` when the pinned object is not a map.
    public convenience init(pinnedAt path: String) throws(BPFError) {
        let fd = try Syscall.objectGet(path: path, object: "map")
        var info = bpf_map_info()
        do {
            _ = try withUnsafeMutableBytes(of: &info) { try Syscall.objectInfo(fd: fd.rawValue, into: $0, object: "object pinned at \(path)") }
        } catch {
            throw BPFError.invalidArgument(operation: "open map", object: path, detail: "the object pinned there is not a map (\(error))")
        }
        let name = withUnsafeBytes(of: info.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        self.init(adopting: fd, type: MapType(rawValue: info.type), name: name, keySize: Int(info.key_size),
                  valueSize: Int(info.value_size), maxEntries: Int(info.max_entries), flags: info.map_flags)
    }

    /// Pins the map at `path` in a BPF filesystem (BPF_OBJ_PIN): the map then
    /// lives until the file is removed, after every descriptor is closed.
    ///
    /// - Throws: `BPFError.invalidArgument` when `path` exists or is not in a
    ///   BPF filesystem, `.notFound` when its directory does not exist.
    public func pin(at path: String) throws(BPFError) {
        try Syscall.objectPin(fd: fd.rawValue, path: path, object: objectName)
    }

    /// A second descriptor for the same kernel map, owned by the returned value
    /// (closing one leaves the other open).
    public func duplicate() throws(BPFError) -> Map {
        let copy = fcntl(fd.rawValue, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0 else {
            throw BPFError.system(operation: "duplicate the descriptor of", object: objectName, errno: Errno.current.rawValue)
        }
        return Map(adopting: OwnedFD(rawValue: copy), type: type, name: name, keySize: keySize, valueSize: valueSize,
                   maxEntries: maxEntries, flags: flags)
    }
}
