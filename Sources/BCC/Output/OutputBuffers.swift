import EBPF
import Foundation

/// The ring buffers and perf buffers opened on one BPF object: one ring
/// buffer poller and one perf buffer poller, each behind one epoll
/// descriptor, so that `ringBufferPoll` serves every ring opened on the
/// object together (bcc keeps one libbpf ring_buffer manager per object).
///
/// Opening is locked; polling is meant for one thread at a time, as with
/// bcc. The pollers are created on first use and closed with the object.
final class OutputBuffers: @unchecked Sendable {
    private let lock = NSLock()
    private var rings: RingBufferPoller?
    private var perfBuffers: PerfBufferPoller?
    private var opened: Set<String> = []
    private var isClosed = false

    /// Adds ring buffer `map` (table `name`) with `handler`.
    func addRing(_ map: Map, name: String, handler: @escaping RingBufferPoller.Handler) throws(BCCError) {
        try locked(name) { () throws(BCCError) in
            do {
                let poller = try rings ?? RingBufferPoller()
                rings = poller
                try poller.add(map: map, handler: handler)
            } catch {
                throw .kernel(operation: "open ring buffer", object: "table '\(name)'", cause: error)
            }
        }
    }

    /// Opens perf buffer `map` (table `name`) on every online CPU.
    func addPerfBuffer(_ map: Map, name: String, pageCount: Int, wakeupEvents: Int, onSample: @escaping PerfBuffer.SampleHandler,
                       onLost: PerfBuffer.LostHandler?) throws(BCCError) {
        try locked(name) { () throws(BCCError) in
            do {
                let poller = try perfBuffers ?? PerfBufferPoller()
                perfBuffers = poller
                let buffer = try PerfBuffer(map: map, pageCount: pageCount, wakeupEvents: wakeupEvents,
                                            onSample: onSample, onLost: onLost)
                do { try poller.add(buffer) } catch { buffer.close(); throw error }
            } catch {
                throw .kernel(operation: "open perf buffer", object: "table '\(name)'", cause: error)
            }
        }
    }

    /// True when table `name` was opened with a callback on this object.
    func isOpen(_ name: String) -> Bool { lock.withLock { opened.contains(name) } }

    /// The ring buffer poller, nil before the first ring is opened.
    var ringPoller: RingBufferPoller? { lock.withLock { rings } }

    /// The perf buffer poller, nil before the first perf buffer is opened.
    var perfPoller: PerfBufferPoller? { lock.withLock { perfBuffers } }

    /// Closes every buffer; later opens fail.
    func close() {
        let (ringPoller, perfPoller) = lock.withLock { () -> (RingBufferPoller?, PerfBufferPoller?) in
            isClosed = true
            defer { rings = nil; perfBuffers = nil }
            return (rings, perfBuffers)
        }
        ringPoller?.close()
        perfPoller?.close()
    }

    private func locked(_ name: String, _ body: () throws(BCCError) -> Void) throws(BCCError) {
        lock.lock()
        defer { lock.unlock() }
        guard !isClosed else { throw .invalidUse(object: "table '\(name)'", detail: "the BPF object is closed") }
        guard !opened.contains(name) else {
            throw .invalidUse(object: "table '\(name)'", detail: "is already open; open a buffer once per BPF object")
        }
        try body()
        opened.insert(name)
    }
}
