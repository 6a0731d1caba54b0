// The file operations of the compile cache and the program loader, on
// String paths over the C library.
import EBPF
import Glibc

/// Files and directories by path, for the compile cache, the verifier logs
/// and the loader. Foundation's URL and FileManager are not used on this
/// path: in a statically linked tool they cost megabytes of resident code
/// for what these few calls do (issue 18).
enum FileSystem {
    /// True when `path` names an existing file or directory.
    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// True when `path` is a regular file this process may execute.
    static func isExecutableFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG && access(path, X_OK) == 0
    }

    /// The bytes of the file at `path`, or nil when it cannot be read.
    static func contents(_ path: String) -> [UInt8]? {
        try? ProcFile.bytes(path)
    }

    /// Creates (or truncates) the file at `path` with `bytes`; false when it
    /// cannot be written.
    static func write(_ bytes: [UInt8], to path: String) -> Bool {
        guard let file = try? OwnedFD.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644) else { return false }
        let written = bytes.withUnsafeBytes { buffer in (try? file.writeAll(buffer, object: path)) != nil }
        return written
    }

    /// The names in directory `path` (without "." and ".."), or nil when it cannot be listed.
    static func entries(ofDirectory path: String) -> [String]? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Seconds from the last modification of `path` to now, or nil when it does not exist.
    static func age(_ path: String) -> Int? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return time(nil) - status.st_mtim.tv_sec
    }

    /// Creates directory `path` and its parents; `purpose` says what for in the error.
    static func createDirectories(_ path: String, for purpose: String) throws(BCCError) {
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += (prefix.isEmpty && !path.hasPrefix("/") ? "" : "/") + component
            guard mkdir(prefix, 0o755) == 0 || errno == EEXIST else {
                throw .file(path: path, detail: "cannot create the \(purpose): \(prefix): \(String(cString: strerror(errno)))")
            }
        }
    }

    // MARK: - Paths

    /// The directory part of `path` ("/a/b/c" -> "/a/b", "c" -> ".").
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The last component of `path` ("/a/b/c" -> "c").
    static func lastComponent(of path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// `name` inside `directory`, with one slash between.
    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The absolute form of `path`, against the current directory when relative.
    static func absolute(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        guard let current = getcwd(nil, 0) else { return path }
        defer { free(current) }
        return String(cString: current) + "/" + path
    }
}

/// The process's environment variables (`environ`), as a dictionary.
enum ProcessEnvironment {
    /// Every variable of the running process.
    static var current: [String: String] {
        var variables: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry += 1
        }
        return variables
    }
}
