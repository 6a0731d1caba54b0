// BPF_PERF_ARRAY tables: the counters `table.perf_read(cpu)` and
// `table.perf_counter_value(cpu, &value, size)` read in the program.
import EBPF

extension Table {
    /// Opens a counting perf event of `type` and `config` (see ``PerfType``)
    /// on every online CPU and stores it in this perf array at the CPU's
    /// index (bcc's `open_perf_event`). The table holds the events until it
    /// closes. Returns the CPUs.
    ///
    /// - Throws: ``BCCError/kernel(operation:object:cause:)`` with
    ///   `.notFound` when the kernel has no such event (no hardware PMU, for one).
    @discardableResult
    public func openPerfEvent(type: UInt32, config: UInt64) throws(BCCError) -> [Int] {
        guard definition?.kind == .perfArray else {
            throw .invalidUse(object: "table '\(name)'", detail: "open_perf_event needs a BPF_PERF_ARRAY table")
        }
        return try kernel("open perf counters in") { try PerfCounters.open(.init(type: type, config: config), in: map) }
    }
}
