import Synchronization

/// A counter fed by a ring buffer: each record is the labels' bytes,
/// optionally followed by a u64 increment (else it counts 1). Records are
/// counted as they arrive; the counts only grow.
final class RingCounter: Sendable {
    let metric: CounterMetric
    let layout: KeyLayout
    /// What has been counted: the poller thread records, scrapes read.
    struct Counts {
        var rows = TableMetric.Rows()
        var records: UInt64 = 0
        var decodeErrors: UInt64 = 0
        var firstDecodeError: String?
    }
    private let counts = Mutex(Counts())

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
        counts.withLock { counts in
            counts.records &+= 1
            if let failure {
                counts.decodeErrors &+= 1
                if counts.firstDecodeError == nil { counts.firstDecodeError = failure }
            } else if let labels {
                counts.rows.add(labels, increment)
            }
        }
    }

    /// What has been counted so far.
    func snapshot() -> Counts { counts.withLock { $0 } }
}
