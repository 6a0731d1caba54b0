import BPFObject

/// A uprobe's reference counter (Linux 4.20+): a 2-byte counter in the
/// probed file (a USDT semaphore) that the kernel raises in every process
/// mapping the file while the uprobe exists, and lowers when it goes.
///
/// The uprobe PMU takes its file offset in the `perf_event_attr.config` bits
/// that /sys/bus/event_source/devices/uprobe/format/ref_ctr_offset names
/// ("config:32-63").
enum UprobeReferenceCounter {
    static let formatPath = "/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset"

    /// The config bits holding `offset`.
    static func configBits(offset: UInt64, what: String) throws(BPFError) -> UInt64 {
        let (low, width) = try field()
        guard width >= 64 || offset >> UInt64(width) == 0 else {
            throw .invalidArgument(operation: "open \(what)", object: "reference counter offset 0x\(String(offset, radix: 16))",
                                   detail: "does not fit the PMU's \(width)-bit ref_ctr_offset field")
        }
        return offset << UInt64(low)
    }

    /// The first bit and width of the field, from the PMU's format file.
    static func field() throws(BPFError) -> (low: Int, width: Int) {
        guard let text = (try? SysFile.read(formatPath))?.trimmingWhitespace() else {
            throw .notSupported(feature: "uprobe reference counters (USDT semaphores set by the kernel)",
                                requirement: "Linux 4.20+ (the uprobe PMU has no \(formatPath))")
        }
        guard let bits = text.split(separator: ":").last, text.hasPrefix("config:") else {
            throw .malformed(what: formatPath, detail: "expected 'config:LOW-HIGH', found '\(text)'")
        }
        let range = bits.split(separator: "-").compactMap { Int($0) }
        guard let low = range.first, let high = range.last, range.count <= 2, low <= high, high < 64 else {
            throw .malformed(what: formatPath, detail: "expected 'config:LOW-HIGH', found '\(text)'")
        }
        return (low, high - low + 1)
    }
}
