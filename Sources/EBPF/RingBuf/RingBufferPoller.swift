/// Serves several ring buffers behind one epoll descriptor, each with its
/// own handler: bcc's model, one poller per BPF object.
///
/// Rings are registered level-triggered, so a ring left with records (a
/// bounded ``consume(max:)``, a throwing handler) is reported again by the
/// next ``poll(timeout:)``.
public final class RingBufferPoller: BufferPoller {
    /// Receives one record; the buffer is valid only during the call.
    public typealias Handler = (UnsafeRawBufferPointer) throws -> Void

    /// Runs one pass of a ring's record loop, specialized for its handler:
    /// at most `limit` records, publishing as `passEnd` says; returns how many.
    @usableFromInline
    typealias Consumer = (_ limit: Int, _ passEnd: RingBuffer.PassEnd) throws -> Int

    private struct Entry {
        let ring: RingBuffer
        let consume: Consumer
    }

    private let epoll: Epoll
    // One thread polls (the poller is not Sendable): no dynamic exclusivity
    // check on every poll.
    @exclusivity(unchecked) private var entries: [Entry] = []

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
        try add(ring, handling: RingBufferClosureHandler(handler))
    }

    /// Adds `ring`, whose records go to `handler`'s ``RingBufferRecordHandler/handle(_:)``:
    /// the ring's record loop is specialized in the caller's module with the
    /// handler inlined. The poller keeps the ring and closes it in ``close()``.
    @inlinable
    public func add<RecordHandler: RingBufferRecordHandler>(_ ring: RingBuffer, handling handler: RecordHandler) throws(BPFError) {
        let box = HandlerBox(handler)
        try add(ring) { limit, passEnd in try ring.consume(max: limit, publishing: passEnd, &box.handler) }
    }

    @usableFromInline
    func add(_ ring: RingBuffer, consumer: @escaping Consumer) throws(BPFError) {
        guard !epoll.isClosed else {
            throw BPFError.closed(object: "ring buffer poller")
        }
        try epoll.add(ring.fileDescriptor, token: UInt64(entries.count), what: "ring buffer \(ring.name)")
        entries.append(Entry(ring: ring, consume: consumer))
    }

    /// Maps the ring buffer `map` and adds it with `handler`; returns the ring.
    @discardableResult
    public func add(map: Map, handler: @escaping Handler) throws(BPFError) -> RingBuffer {
        try add(map: map, handling: RingBufferClosureHandler(handler))
    }

    /// Maps the ring buffer `map` and adds it with `handler` (see
    /// ``add(_:handling:)``); returns the ring.
    @inlinable @discardableResult
    public func add<RecordHandler: RingBufferRecordHandler>(map: Map, handling handler: RecordHandler) throws(BPFError) -> RingBuffer {
        let ring = try RingBuffer(map: map)
        do { try add(ring, handling: handler) } catch { ring.close(); throw error }
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
            count += try entry.consume(.max, .whenIdle)
        }
        return count
    }

    private func consume(_ entry: Entry, publishing passEnd: RingBuffer.PassEnd, count: inout Int, progressed: inout Bool) throws {
        let start = entry.ring.readPosition
        count += try entry.consume(.max, passEnd)
        // Discarded records count as progress: their wakeup ends a poll.
        progressed = progressed || entry.ring.readPosition != start
    }

    /// Consumes every ring without waiting, in the order they were added,
    /// handling at most `limit` records in total. Returns how many.
    @discardableResult
    public func consume(max limit: Int = .max) throws -> Int {
        var count = 0
        for entry in entries where count < limit {
            count += try entry.consume(limit - count, .always)
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

/// Holds a poller's handler across passes. One pass runs at a time on the
/// poller's thread, so the access needs no dynamic exclusivity check (a
/// captured `var` costs one per pass: callgrind, 190 instructions).
@usableFromInline
final class HandlerBox<Handler> {
    @usableFromInline @exclusivity(unchecked) var handler: Handler

    @inlinable
    init(_ handler: Handler) { self.handler = handler }
}
