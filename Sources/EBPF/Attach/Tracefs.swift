import BPFObject
import Glibc
import Synchronization

/// The kernel's tracing filesystem: tracepoint ids and formats, kprobe and
/// uprobe definitions, and trace_pipe.
///
/// tracefs is used where it is mounted, at /sys/kernel/tracing or
/// /sys/kernel/debug/tracing. When neither is and the process is root, it
/// is mounted at /sys/kernel/tracing (the mount stays after exit, as it
/// would with `mount -t tracefs`).
public enum Tracefs {
    /// Where tracefs is looked for, in order; the first is where it is mounted when missing.
    public static let mountPoints = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]

    /// The mount point once found (or mounted); a failed search is retried on the next call.
    private static let foundRoot = Mutex<String?>(nil)

    // MARK: - Paths

    /// The directory tracefs is mounted at, mounting it first if needed.
    ///
    /// - Throws: `BPFError.notFound` saying how to mount tracefs when it is not
    ///   mounted and the process may not mount it, or the mount error.
    public static func root() throws(BPFError) -> String {
        try foundRoot.withLock { (found) throws(BPFError) in
            if let found { return found }
            let root = try findOrMountRoot()
            found = root
            return root
        }
    }

    private static func findOrMountRoot() throws(BPFError) -> String {
        if let mounted = mountPoints.first(where: isTracefs) { return mounted }
        let target = mountPoints[0]
        // Mounted, but mode 0700 (as the kernel makes it): a permission problem, not a missing mount.
        if let hidden = mountPoints.first(where: { access($0, X_OK) != 0 && errno == EACCES }) {
            throw BPFError.permissionDenied(operation: "read tracefs at \(hidden)")
        }
        guard geteuid() == 0 else {
            throw BPFError.notFound(
                what: "tracefs at \(mountPoints.joined(separator: " or ")) "
                    + "(mount it as root with `mount -t tracefs nodev \(target)`)")
        }
        if mount("tracefs", target, "tracefs", 0, nil) != 0 {
            let error = errno
            // Another process may have mounted it between our check and our mount.
            if isTracefs(target) { return target }
            throw BPFError.system(operation: "mount -t tracefs nodev \(target)", object: target, errno: error)
        }
        return target
    }

    /// The path of trace_pipe, where bpf_trace_printk() output appears.
    public static func tracePipePath() throws(BPFError) -> String {
        try root() + "/trace_pipe"
    }

    /// The directory of the event `category`/`name` (a tracepoint or a probe defined in tracefs).
    static func eventDirectory(category: String, name: String) throws(BPFError) -> String {
        try validate(category, what: "tracepoint category")
        try validate(name, what: "tracepoint name")
        return try root() + "/events/\(category)/\(name)"
    }

    // MARK: - Events

    /// True when the kernel has the tracepoint `category`/`name`.
    public static func eventExists(category: String, name: String) throws(BPFError) -> Bool {
        SysFile.exists(try eventDirectory(category: category, name: name) + "/id")
    }

    /// The id of the tracepoint `category`/`name`: perf_event_attr.config for a
    /// PERF_TYPE_TRACEPOINT event.
    public static func eventID(category: String, name: String) throws(BPFError) -> UInt64 {
        let (path, text) = try readEventFile("id", category: category, name: name)
        guard let id = UInt64(text.trimmingWhitespace()) else {
            throw BPFError.malformed(what: path, detail: "expected a decimal event id, found '\(text)'")
        }
        return id
    }

    /// The record layout of the tracepoint `category`/`name`, from its format file.
    public static func eventFormat(category: String, name: String) throws(BPFError) -> TracepointFormat {
        let (path, text) = try readEventFile("format", category: category, name: name)
        do {
            return try TracepointFormat(parsing: text, path: path)
        } catch {
            // The parser names the file and line; the error is about tracefs, not an object file.
            guard case let .malformed(what, detail) = error else { throw .object(error) }
            throw .malformed(what: what, detail: detail)
        }
    }

    /// The path and contents of `file` in the event's directory; a missing
    /// file means the kernel has no such tracepoint.
    private static func readEventFile(_ file: String, category: String, name: String) throws(BPFError) -> (path: String, text: String) {
        let path = try eventDirectory(category: category, name: name) + "/" + file
        do {
            return (path, try SysFile.read(path))
        } catch BPFError.notFound {
            throw BPFError.notFound(what: "tracepoint \(category)/\(name) (no \(path))")
        }
    }

    // MARK: - Probe definitions (kprobe_events, uprobe_events)

    /// Defines a probe by appending `definition` to the tracefs file `file`
    /// ("kprobe_events" or "uprobe_events").
    static func defineProbe(file: String, definition: String) throws(BPFError) {
        let path = try root() + "/" + file
        do {
            try SysFile.write(path, definition, append: true)
        } catch {
            // (A `catch BPFError.system(...) where` clause crashes Swift 6.3's SIL ownership check under typed throws.)
            guard case .system(_, _, let code) = error, code == EINVAL || code == ENOENT || code == E2BIG else { throw error }
            throw BPFError.invalidArgument(
                operation: "define probe in \(path)", object: definition,
                detail: lastErrorLogLine() ?? String(cString: strerror(code)))
        }
    }

    /// Removes the probe `group`/`name` from the tracefs file `file`. The
    /// kernel answers EBUSY while a perf event it just released is still being
    /// torn down, so that is retried briefly.
    static func removeProbe(file: String, group: String, name: String) throws(BPFError) {
        let path = try root() + "/" + file
        var attempts = 0
        while true {
            do {
                try SysFile.write(path, "-:\(group)/\(name)", append: true)
                return
            } catch {
                guard case .system(_, _, EBUSY) = error, attempts < 50 else { throw error }
                attempts += 1
                usleep(2_000)
            }
        }
    }

    /// The probes currently defined in the tracefs file `file`, one definition a line.
    static func probeDefinitions(file: String) throws(BPFError) -> [String] {
        try SysFile.read(root() + "/" + file).split(separator: "\n").map(String.init)
    }

    // MARK: - Helpers

    /// A tracefs mount has trace_pipe at its top; the empty directory under
    /// an unmounted mount point does not. Looking at debug/tracing also
    /// triggers its automount when debugfs is mounted.
    private static func isTracefs(_ path: String) -> Bool {
        SysFile.exists(path + "/trace_pipe")
    }

    /// The kernel's explanation of the last rejected definition, from tracefs error_log.
    private static func lastErrorLogLine() -> String? {
        guard let root = try? root(), let log = try? SysFile.read(root + "/error_log") else { return nil }
        let lines = log.split(separator: "\n").suffix(3).map { $0.trimmingWhitespace() }
        return lines.isEmpty ? nil : lines.joined(separator: " | ")
    }

    /// Event categories and names become path components: reject anything
    /// that could leave the events directory.
    private static func validate(_ component: String, what: String) throws(BPFError) {
        let allowed = component.utf8.allSatisfy {
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z"))
                || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
        }
        guard allowed, !component.isEmpty, !component.hasPrefix(".") else {
            throw BPFError.invalidArgument(
                operation: "find tracefs event", object: component,
                detail: "a \(what) is letters, digits, '_', '-' and '.', not starting with '.'")
        }
    }
}
