import CBPF

/// Counting perf events in a BPF_PERF_EVENT_ARRAY, one per online CPU at
/// the CPU's index, for `bpf_perf_event_read` and `bpf_perf_event_read_value`
/// (bcc's `open_perf_event` behind `table.perf_read(cpu)`). The events count
/// from the moment they open and are never sampled.
public enum PerfCounters {
    /// Opens and enables `event` on every online CPU and stores each in
    /// `array` at its CPU's index. The array holds the events from then on
    /// (until the slot is replaced or the map is freed), so the descriptors
    /// this opened are closed before it returns. Returns the CPUs.
    ///
    /// - Throws: `BPFError.notFound` when the kernel lacks the event (no
    ///   hardware PMU, for one); `.invalidArgument` when `array` is not a perf event array.
    @discardableResult
    public static func open(_ event: PerfEventLink.Event, in array: Map) throws(BPFError) -> [Int] {
        guard array.type == .perfEventArray else {
            throw .invalidArgument(operation: "store perf counters in", object: array.objectName,
                                   detail: "needs a perf event array; this is a \(array.type) map")
        }
        var attr = perf_event_attr()
        attr.type = event.type
        attr.config = event.config
        let cpus = try OnlineCPUs.list()
        for cpu in cpus {
            let what = "perf counter \(event) on CPU \(cpu)"
            let fd = try PerfEvent.open(attr, pid: -1, cpu: Int32(cpu), what: what)
            defer { fd.close() }
            try PerfEvent.enable(fd, what: what)
            try array.update(key: withUnsafeBytes(of: UInt32(cpu).littleEndian, Array.init),
                             value: withUnsafeBytes(of: fd.rawValue.littleEndian, Array.init))
        }
        return cpus
    }
}
