import Foundation

/// A counter fed by a ring buffer: each record is the labels' bytes,
/// optionally followed by a u64 increment (else it counts 1). Records are
/// counted as they arrive; the counts only grow.
final class RingCounter: @unchecked Sendable {
    let metric: CounterMetric
    let layout: KeyLayout
    // Guarded by `lock`: the poller thread records, scrapes read.
    private let lock = NSLock()
    private var rows = TableMetric.Rows()
    private var records: UInt64 = 0
    private var decodeErrors: UInt64 = 0
    private var firstDecodeError: String?

    init(metric: CounterMetric, layout: KeyLayout) {
        self.metric = metric
        self.layout = layout
    }

    /// Counts one record.
    func record(_ data: UnsafeRawBufferPointer) {
        let bytes = Array(data)
        var labels: [String]?
        var increment: UInt64 = 1
        var failure: String?
        if bytes.count == layout.size || bytes.count == layout.size + 8 {
            do {
                labels = try layout.decode(bytes[...])
            } catch {
                failure = error.description
            }
            if bytes.count == layout.size + 8 { increment = TableMetric.u64(bytes[...], at: layout.size) }
        } else {
            failure = "a record of \(bytes.count) bytes; the labels cover \(layout.size) (then optionally a u64 increment)"
        }
        lock.lock()
        defer { lock.unlock() }
        records &+= 1
        if let failure {
            decodeErrors &+= 1
            if firstDecodeError == nil { firstDecodeError = failure }
        } else if let labels {
            rows.add(labels, increment)
        }
    }

    /// What has been counted so far.
    func snapshot() -> (rows: TableMetric.Rows, records: UInt64, decodeErrors: UInt64, firstDecodeError: String?) {
        lock.lock()
        defer { lock.unlock() }
        return (rows, records, decodeErrors, firstDecodeError)
    }
}
