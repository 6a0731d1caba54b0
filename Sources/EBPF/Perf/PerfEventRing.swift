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
    private let records: PerfRecordParser
    private let object: String

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
        records = PerfRecordParser(data: UnsafeRawPointer(control + pageSize), dataSize: UInt64(pageCount * pageSize),
                                   name: "\(object) CPU \(cpu)")
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
    /// `scratch` must hold ``PerfRecordParser/maximumRecordSize`` bytes. If `onSample` throws,
    /// its record counts as consumed and the error is rethrown.
    func consume(scratch: UnsafeMutableRawPointer,
                 onSample: (Int, UnsafeRawBufferPointer) throws -> Void,
                 onLost: (Int, UInt64) -> Void) throws -> Int {
        guard let control = mapping.address else { return 0 }
        let headPointer = control + 1024, tailPointer = control + 1032
        let head = cbpf_load_acquire_u64(headPointer)
        var tail = cbpf_load_relaxed_u64(tailPointer)
        defer { cbpf_store_release_u64(tailPointer, tail) }
        return try records.consume(head: head, tail: &tail, scratch: scratch,
                                   onSample: { try onSample(cpu, $0) }, onLost: { onLost(cpu, $0) })
    }

    /// Unmaps the ring and closes the event.
    func close() {
        mapping.unmap()
        fd.close()
    }
}
