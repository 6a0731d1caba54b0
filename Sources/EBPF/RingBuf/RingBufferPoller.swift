/// Serves several ring buffers behind one epoll descriptor, each with its
/// own handler: bcc's model, one poller per BPF object.
///
/// Rings are registered level-triggered, so a ring left with records (a
/// bounded ``consume(max:)``, a throwing handler) is reported again by the
/// next ``poll(timeout:)``.
public final class RingBufferPoller: BufferPoller {
    /// Receives one record; the buffer is valid only during the call.
    public typealias Handler = (UnsafeRawBufferPointer) throws -> Void

    private struct Entry {
        let ring: RingBuffer
        let handler: Handler
    }

    private let epoll: Epoll
    private var entries: [Entry] = []

    /// The epoll descriptor, readable when any ring has data: for external
    /// event loops, which then call ``consume(max:)``.
    public var epollFileDescriptor: Int32 { epoll.fileDescriptor }

    /// Makes a ``poll(timeout:)`` blocked on another thread return 0 at once.
    public var waker: PollWaker { epoll.waker }

    /// The rings added so far, in order.
    public var rings: [RingBuffer] { entries.map(\.ring) }

    /// Creates an empty poller.
    public init() throws(BPFError) {
        epoll = try Epoll(object: "ring buffer poller")
    }

    deinit {
        close()
    }

    /// Adds `ring`, whose records go to `handler`. The poller keeps the ring
    /// and closes it in ``close()``.
    public func add(_ ring: RingBuffer, handler: @escaping Handler) throws(BPFError) {
        guard !epoll.isClosed else {
            throw BPFError.closed(object: "ring buffer poller")
        }
        try epoll.add(ring.fileDescriptor, token: UInt64(entries.count), what: "ring buffer \(ring.name)")
        entries.append(Entry(ring: ring, handler: handler))
    }

    /// Maps the ring buffer `map` and adds it with `handler`; returns the ring.
    @discardableResult
    public func add(map: Map, handler: @escaping Handler) throws(BPFError) -> RingBuffer {
        let ring = try RingBuffer(map: map)
        do { try add(ring, handler: handler) } catch { ring.close(); throw error }
        return ring
    }

    /// Waits up to `timeout` milliseconds (-1: until a ring has data, 0: not
    /// at all) and consumes the rings that have data. Returns the number of
    /// records handled; 0 on timeout, when a signal interrupts the wait (so
    /// a Ctrl-C handler gets control back promptly), or when ``waker`` woke it.
    ///
    /// Rings that already hold committed (or discarded) records are consumed without
    /// entering `epoll_wait` at all (the kernel's wakeup arrives through
    /// irq_work, later than the record); the poller waits only when every
    /// ring is empty.
    ///
    /// A poll that handled records publishes its position to the kernel up
    /// to its last record, not past it; the next poll publishes the rest
    /// (behind a full fence) before it waits. While the consumer keeps up
    /// without waiting, producers then raise no wakeups (each one an
    /// interrupt on the producer's CPU) for a consumer that is not asleep.
    ///
    /// A handler that throws stops the poll after its record; the error is
    /// rethrown and the remaining records wait for the next call.
    @discardableResult
    public func poll(timeout: Int = -1) throws -> Int {
        guard !epoll.isClosed else {
            throw BPFError.closed(object: "ring buffer poller")
        }
        var count = 0
        var progressed = false
        for entry in entries where entry.ring.hasUnreadBytes {
            try consume(entry, publishing: .whenIdle, count: &count, progressed: &progressed)
        }
        if progressed { return count }
        // About to wait: publish every ring's position behind a full fence,
        // so that every commit from now on wakes the epoll_wait below, and
        // handle what was committed meanwhile instead of waiting.
        for entry in entries {
            try consume(entry, publishing: .always, count: &count, progressed: &progressed)
        }
        if progressed { return count }
        let ready = try epoll.wait(maxEvents: entries.count, timeout: timeout)
        for index in 0..<ready {
            let entry = entries[Int(epoll.token(at: index))]
            count += try entry.ring.consume(max: .max, publishing: .whenIdle, entry.handler)
        }
        return count
    }

    private func consume(_ entry: Entry, publishing passEnd: RingBuffer.PassEnd, count: inout Int, progressed: inout Bool) throws {
        let start = entry.ring.readPosition
        count += try entry.ring.consume(max: .max, publishing: passEnd, entry.handler)
        // Discarded records count as progress: their wakeup ends a poll.
        progressed = progressed || entry.ring.readPosition != start
    }

    /// Consumes every ring without waiting, in the order they were added,
    /// handling at most `limit` records in total. Returns how many.
    @discardableResult
    public func consume(max limit: Int = .max) throws -> Int {
        var count = 0
        for entry in entries where count < limit {
            count += try entry.ring.consume(max: limit - count, entry.handler)
        }
        return count
    }

    /// Closes every ring and the epoll descriptor; later calls do nothing.
    public func close() {
        for entry in entries { entry.ring.close() }
        entries.removeAll()
        epoll.close()
    }
}
