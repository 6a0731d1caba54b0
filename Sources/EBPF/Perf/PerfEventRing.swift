import CBPF
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One CPU's `PERF_COUNT_SW_BPF_OUTPUT` event and its mmapped ring, which
/// `bpf_perf_event_output` fills on that CPU.
///
/// The first page is the control page (`data_head`, written by the kernel;
/// `data_tail`, written by us); the data pages follow. A record that wraps
/// around the end is copied into the caller's scratch buffer.
final class PerfEventRing {
    /// The CPU this ring belongs to.
    let cpu: Int
    /// The perf event descriptor, stored in the PERF_EVENT_ARRAY map.
    let fd: OwnedFD
    private let mapping: SharedMemoryMapping
    private let control: UnsafeMutableRawPointer
    private let data: UnsafeRawPointer
    private let dataSize: UInt64
    private let object: String

    private static let recordLost: UInt32 = 2
    private static let recordSample: UInt32 = 9
    private static let headerSize: UInt64 = 8
    /// The largest record perf writes: its size field is 16 bits.
    static let maximumRecordSize = 1 << 16

    /// Opens the event on `cpu` and maps `pageCount` data pages (a power of
    /// two); the kernel wakes readers after every `wakeupEvents` samples.
    init(cpu: Int, pageCount: Int, wakeupEvents: UInt32 = 1, object: String) throws(BPFError) {
        var attr = perf_event_attr()
        attr.type = PERF_TYPE_SOFTWARE.rawValue
        attr.config = UInt64(PERF_COUNT_SW_BPF_OUTPUT.rawValue)
        attr.sample_type = UInt64(PERF_SAMPLE_RAW.rawValue)
        attr.sample_period = 1
        attr.wakeup_events = wakeupEvents
        fd = try PerfEvent.open(attr, pid: -1, cpu: Int32(cpu), what: "\(object) on CPU \(cpu)")
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        mapping = try SharedMemoryMapping(
            fd: fd.rawValue, length: (1 + pageCount) * pageSize, offset: 0, writable: true,
            object: "\(object) CPU \(cpu) perf ring")
        control = mapping.address!
        data = UnsafeRawPointer(control + pageSize)
        dataSize = UInt64(pageCount * pageSize)
        self.cpu = cpu
        self.object = object
    }

    /// Starts the event counting (so BPF output reaches the ring).
    func enable() throws(BPFError) {
        try PerfEvent.enable(fd, what: "\(object) on CPU \(cpu)")
    }

    /// True when the kernel has written records this reader has not read.
    var hasUnreadData: Bool {
        guard let control = mapping.address else { return false }
        return cbpf_load_acquire_u64(control + 1024) != cbpf_load_relaxed_u64(control + 1032)
    }

    /// Hands every record to `onSample` (raw data) or `onLost` (count of
    /// records the kernel dropped) and returns how many samples it handled.
    /// `scratch` must hold ``maximumRecordSize`` bytes. If `onSample` throws,
    /// its record counts as consumed and the error is rethrown.
    func consume(scratch: UnsafeMutableRawPointer,
                 onSample: (Int, UnsafeRawBufferPointer) throws -> Void,
                 onLost: (Int, UInt64) -> Void) throws -> Int {
        guard let control = mapping.address else { return 0 }
        let headPointer = control + 1024, tailPointer = control + 1032
        let head = cbpf_load_acquire_u64(headPointer)
        var tail = cbpf_load_relaxed_u64(tailPointer)
        var count = 0
        defer { cbpf_store_release_u64(tailPointer, tail) }
        while tail != head {
            let available = head &- tail
            let offset = tail % dataSize
            // Records are 8-byte aligned and the data size is a multiple of 8,
            // so a header never wraps. More than the ring holds would make a
            // wrapped record's copy read past the mapping.
            guard available >= Self.headerSize, available <= dataSize, offset % 8 == 0 else {
                throw corrupt(tail, "positions are inconsistent: head \(head), tail \(tail)")
            }
            let header = data + Int(offset)
            let type = header.loadUnaligned(as: UInt32.self)
            let size = UInt64(header.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
            guard size >= Self.headerSize, size <= available else {
                throw corrupt(tail, "record of type \(type) claims \(size) bytes, \(available) are written")
            }
            let record: UnsafeRawPointer
            if offset + size <= dataSize {
                record = header
            } else {
                let first = Int(dataSize - offset)
                scratch.copyMemory(from: header, byteCount: first)
                (scratch + first).copyMemory(from: data, byteCount: Int(size) - first)
                record = UnsafeRawPointer(scratch)
            }
            tail &+= size
            switch type {
            case Self.recordSample where size >= 12:
                let rawSize = Int(record.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
                guard 12 + UInt64(rawSize) <= size else {
                    throw corrupt(tail &- size, "sample claims \(rawSize) raw bytes in a \(size)-byte record")
                }
                count += 1
                try onSample(cpu, UnsafeRawBufferPointer(start: record + 12, count: rawSize))
            case Self.recordLost where size >= 24:
                onLost(cpu, record.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
            default:
                // Other record types (throttling, for one) carry nothing for us.
                break
            }
        }
        return count
    }

    /// Unmaps the ring and closes the event.
    func close() {
        mapping.unmap()
        fd.close()
    }

    private func corrupt(_ position: UInt64, _ detail: String) -> BPFError {
        .malformed(what: "\(object) CPU \(cpu) perf record at position \(position)", detail: detail)
    }
}
