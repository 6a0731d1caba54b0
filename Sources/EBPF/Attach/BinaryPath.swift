import BPFObject
import Glibc

/// Finds the file a uprobe goes in from what a bcc user writes: a path, a
/// library name ("c" for libc, as in bcc's `attach_uprobe(name="c")`), or an
/// executable on PATH.
public enum BinaryPath {
    /// The file `name` stands for.
    ///
    /// A name with a "/" is a path. Otherwise a library name ("c", "pthread",
    /// or a soname such as "libc.so.6") is looked up in the memory map of
    /// `pid` (this process when nil), then in /etc/ld.so.cache; failing that,
    /// `name` is looked up as an executable on PATH.
    ///
    /// - Throws: `BPFError.notFound` naming where it looked.
    public static func resolve(_ name: String, pid: Int32? = nil) throws(BPFError) -> String {
        guard !name.isEmpty else {
            throw BPFError.invalidArgument(operation: "resolve binary", object: "''", detail: "the name is empty")
        }
        if name.contains("/") {
            guard SysFile.exists(name) else { throw BPFError.notFound(what: "binary \(name)") }
            return name
        }
        let soname = name.hasPrefix("lib") && name.contains(".so") ? name : "lib\(name).so"
        let isLibrary = { (file: String) in
            // "libc.so.6" and "libc.so" for "c"; "libc-2.31.so" on older glibc.
            file == soname || file.hasPrefix(soname + ".") || (soname == "lib\(name).so" && file.hasPrefix("lib\(name)-"))
        }
        if let mapped = mappedFiles(pid: pid).first(where: { isLibrary(String($0.split(separator: "/").last ?? "")) }) {
            return mapped
        }
        if let cache = try? LinkerCache(), let cached = cache.path(where: isLibrary) {
            return cached
        }
        for directory in (getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw BPFError.notFound(
            what: "binary or library '\(name)' (looked for \(soname) in /proc/\(pid.map(String.init) ?? "self")/maps "
                + "and \(LinkerCache.defaultPath), and for \(name) on PATH)")
    }

    /// The files mapped into process `pid` (this process when nil), from /proc/PID/maps.
    static func mappedFiles(pid: Int32?) -> [String] {
        guard let maps = try? SysFile.read("/proc/\(pid.map(String.init) ?? "self")/maps") else { return [] }
        var files: [String] = []
        for line in maps.split(separator: "\n") {
            // address perms offset dev inode pathname
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6 else { continue }
            let file = fields[5].trimmingWhitespace()
            guard file.hasPrefix("/"), !file.hasSuffix(" (deleted)") else { continue }
            if files.last != file && !files.contains(file) { files.append(file) }
        }
        return files
    }
}
