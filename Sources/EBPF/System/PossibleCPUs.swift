#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The CPUs the kernel may ever bring online, from
/// /sys/devices/system/cpu/possible. Per-CPU map values and perf event arrays
/// have one slot for each.
public enum PossibleCPUs {
    /// The number of per-CPU slots: the highest possible CPU number plus one.
    public static func count() throws -> Int {
        try cached.get()
    }

    private static let cached: Result<Int, BPFError> = Result { () throws(BPFError) in
        let path = "/sys/devices/system/cpu/possible"
        guard let text = readSmallFile(path) else {
            throw BPFError.notFound(what: path)
        }
        return try parse(text, source: path)
    }

    /// Parses a CPU list such as "0-3", "0,2-5" or "0" and returns the highest
    /// CPU number plus one.
    static func parse(_ text: String, source: String) throws(BPFError) -> Int {
        var highest = -1
        for part in text.split(whereSeparator: { $0 == "," || $0 == "\n" || $0 == " " }) {
            let bounds = part.split(separator: "-")
            guard (1...2).contains(bounds.count), let last = Int(bounds[bounds.count - 1]),
                  bounds.allSatisfy({ Int($0) != nil }) else {
                throw BPFError.malformed(what: source, detail: "expected a CPU list like 0-3, found '\(text)'")
            }
            highest = max(highest, last)
        }
        guard highest >= 0 else {
            throw BPFError.malformed(what: source, detail: "the CPU list is empty")
        }
        return highest + 1
    }
}

/// Reads a small text file (sysfs, procfs) whole, or nil if it cannot be read.
func readSmallFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { _ = close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        if count < 0 { return nil }
        if count == 0 { break }
        bytes.append(contentsOf: chunk[..<count])
    }
    return String(decoding: bytes, as: UTF8.self)
}
