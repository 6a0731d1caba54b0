// MARK: - PossibleCPUs

/// The CPUs the kernel may ever bring online, from
/// /sys/devices/system/cpu/possible. Per-CPU map values and perf event arrays
/// have one slot for each.
public enum PossibleCPUs {
    /// Where the kernel lists them.
    static let path = "/sys/devices/system/cpu/possible"

    /// The number of per-CPU slots: the highest possible CPU number plus one.
    public static func count() throws(BPFError) -> Int {
        try cached.get()
    }

    private static let cached: Result<Int, BPFError> = Result { () throws(BPFError) in
        try parse(try SysFile.read(path), source: path)
    }

    /// Parses a CPU list such as "0-3", "0,2-5" or "0" and returns the highest
    /// CPU number plus one.
    static func parse(_ text: String, source: String) throws(BPFError) -> Int {
        try CPUList.parse(text, source: source).last! + 1
    }
}

// MARK: - OnlineCPUs

/// The CPUs that are online now, from /sys/devices/system/cpu/online: where
/// perf buffers and perf event programs open one event each.
enum OnlineCPUs {
    /// Where the kernel lists them.
    static let path = "/sys/devices/system/cpu/online"

    /// The online CPU numbers in ascending order.
    static func list() throws(BPFError) -> [Int] {
        try parse(SysFile.read(path))
    }

    /// Parses a kernel CPU list such as "0-3,5".
    static func parse(_ text: String) throws(BPFError) -> [Int] {
        try CPUList.parse(text, source: path)
    }
}

// MARK: - CPUList

/// The kernel's CPU list format ("0-3,5"), as sysfs writes it.
enum CPUList {
    /// The CPU numbers of `text`, ascending and not empty; `source` names the file in errors.
    static func parse(_ text: String, source: String) throws(BPFError) -> [Int] {
        var cpus: [Int] = []
        for part in text.split(whereSeparator: { $0 == "," || $0 == "\n" || $0 == " " }) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard let first = bounds.first ?? nil, let last = bounds.last ?? nil, bounds.count <= 2, first >= 0,
                  first <= last, first >= (cpus.last ?? -1) + 1 else {
                throw .malformed(what: source, detail: "expected an ascending CPU list like 0-3,5, found '\(text)'")
            }
            cpus.append(contentsOf: first...last)
        }
        guard !cpus.isEmpty else { throw .malformed(what: source, detail: "the CPU list is empty") }
        return cpus
    }
}
