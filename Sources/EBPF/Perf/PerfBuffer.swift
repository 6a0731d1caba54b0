#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The user-space side of a `BPF_MAP_TYPE_PERF_EVENT_ARRAY` map: one
/// `PERF_COUNT_SW_BPF_OUTPUT` event per online CPU, each with its own ring,
/// stored in the map so that `bpf_perf_event_output` reaches it.
///
/// Records are handed over in place; one that wraps around the end of its
/// ring is first copied into a scratch buffer allocated once, so nothing is
/// allocated per record. Records the kernel dropped because a ring was full
/// are reported through `onLost` with their count.
public final class PerfBuffer {
    /// Receives one sample: the CPU and the raw bytes (as perf pads them:
    /// the size is rounded so that the record stays 8-byte aligned). The
    /// buffer is valid only during the call.
    public typealias SampleHandler = (_ cpu: Int, _ data: UnsafeRawBufferPointer) throws -> Void
    /// Receives the number of records the kernel dropped on a CPU.
    public typealias LostHandler = (_ cpu: Int, _ count: UInt64) -> Void

    /// The map's name, used in errors.
    public let name: String
    /// Data pages per CPU.
    public let pageCount: Int
    /// Records dropped so far, summed over CPUs, as reported by the kernel.
    public private(set) var lostCount: UInt64 = 0

    let rings: [PerfEventRing]
    private let onSample: SampleHandler
    private let onLost: LostHandler?
    private let scratch: UnsafeMutableRawPointer
    private var isClosed = false

    /// Opens one event per online CPU with `pageCount` data pages each (a
    /// power of two), stores them in `map`, and enables them.
    ///
    /// The kernel wakes a waiting poll after every `wakeupEvents` samples on
    /// a CPU (bcc's `wakeup_events`). 1 wakes for each sample, an interrupt
    /// per record on the producer's CPU; a larger value trades latency for
    /// throughput. Samples below the threshold are still read by the next
    /// poll, which reads rings holding records without waiting.
    public init(map: Map, pageCount: Int = 8, wakeupEvents: Int = 1, onSample: @escaping SampleHandler,
                onLost: LostHandler? = nil) throws(BPFError) {
        guard map.type == .perfEventArray else {
            throw BPFError.invalidArgument(operation: "open perf buffer", object: "map \(map.name)",
                                           detail: "map type is \(map.type), not perf event array")
        }
        guard pageCount > 0, pageCount & (pageCount - 1) == 0 else {
            throw BPFError.invalidArgument(operation: "open perf buffer", object: "map \(map.name)",
                                           detail: "page count \(pageCount) is not a power of two")
        }
        guard let wakeup = UInt32(exactly: wakeupEvents), wakeup > 0 else {
            throw BPFError.invalidArgument(operation: "open perf buffer", object: "map \(map.name)",
                                           detail: "wakeup events \(wakeupEvents) is not a positive 32-bit count")
        }
        let object = "perf buffer \(map.name)"
        var opened: [PerfEventRing] = []
        do {
            for cpu in try OnlineCPUs.list() where cpu < Int(map.maxEntries) {
                let ring = try PerfEventRing(cpu: cpu, pageCount: pageCount, wakeupEvents: wakeup, object: object)
                opened.append(ring)
                var key = UInt32(cpu), value = UInt32(bitPattern: ring.fd.rawValue)
                try Syscall.mapUpdate(fd: map.fd.rawValue, key: &key, value: &value, flags: 0, object: "map \(map.name)")
                try ring.enable()
            }
        } catch {
            for ring in opened { ring.close() }
            throw error
        }
        rings = opened
        name = map.name
        self.pageCount = pageCount
        self.onSample = onSample
        self.onLost = onLost
        scratch = .allocate(byteCount: PerfRecordParser.maximumRecordSize, alignment: 8)
    }

    deinit {
        close()
        scratch.deallocate()
    }

    /// Reads every CPU's ring without waiting; returns the samples handled.
    /// A throwing sample handler stops the call after its record.
    @discardableResult
    public func consume() throws -> Int {
        var count = 0
        for index in rings.indices { count += try consume(ring: index) }
        return count
    }

    /// Reads the ring at `index` of ``rings``.
    func consume(ring index: Int) throws -> Int {
        guard !isClosed else {
            throw BPFError.closed(object: "perf buffer \(name)")
        }
        return try rings[index].consume(scratch: scratch, onSample: onSample) { cpu, lost in
            lostCount &+= lost
            onLost?(cpu, lost)
        }
    }

    /// Disables and closes every CPU's event and unmaps its ring; later
    /// calls do nothing.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        for ring in rings { ring.close() }
    }
}
