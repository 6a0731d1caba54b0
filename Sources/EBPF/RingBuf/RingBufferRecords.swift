/// The records of one ring buffer as an AsyncSequence: each element is a
/// copy of one record's bytes.
///
/// The copy reuses the iterator's buffer whenever the previous element is no
/// longer held, so a loop that does not keep its elements allocates nothing
/// per record. Waiting uses an edge-triggered epoll on a dedicated thread
/// (see ``ReadinessWaiter``); the sequence ends (returns nil) when the
/// iterating task is cancelled, and throws when a record is corrupt.
///
///     for try await record in ring.records() { ... }
public struct RingBufferRecords: AsyncSequence {
    /// One record's bytes.
    public typealias Element = [UInt8]
    /// A corrupt record, or a failure to start waiting.
    public typealias Failure = BPFError

    private let ring: RingBuffer

    init(ring: RingBuffer) { self.ring = ring }

    /// Creates the iterator; it starts the waiting thread on first wait.
    public func makeAsyncIterator() -> Iterator { Iterator(ring: ring) }

    /// Iterates the records; only one iterator may read a ring at a time.
    public struct Iterator: AsyncIteratorProtocol {
        /// A corrupt record, or a failure to start waiting.
        public typealias Failure = BPFError
        @usableFromInline let reader: RingBufferAsyncReader
        @usableFromInline var buffer: [UInt8] = []
        /// Records until the next cancellation check while records keep
        /// coming (the check is also made before every wait).
        @usableFromInline var untilCancellationCheck = 0
        /// Records read since the last wait: a long run means a busy
        /// producer, worth a short spin before waiting (see
        /// ``RingBuffer/takeRecord(into:spins:)``); a sparse one never spins.
        @usableFromInline var recordsSinceWait = 0
        @usableFromInline static let busyRun = 256
        @usableFromInline static let spinLimit = 256

        init(ring: RingBuffer) { reader = RingBufferAsyncReader(ring: ring) }

        /// The next record, or nil once the task is cancelled.
        @inlinable
        public mutating func next() async throws(BPFError) -> [UInt8]? {
            try await next(isolation: nil)
        }

        /// The next record, or nil once the task is cancelled; runs on the
        /// caller's actor. Inlinable so that the path that finds a record
        /// waiting costs a function call, not an async call.
        @inlinable
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(BPFError) -> [UInt8]? {
            while true {
                if untilCancellationCheck == 0 {
                    if Task.isCancelled { return nil }
                    untilCancellationCheck = 256
                }
                if try reader.ring.takeRecord(into: &buffer, spins: recordsSinceWait >= Self.busyRun ? Self.spinLimit : 0) {
                    untilCancellationCheck -= 1
                    recordsSinceWait &+= 1
                    return buffer
                }
                untilCancellationCheck = 0
                recordsSinceWait = 0
                if Task.isCancelled { return nil }
                guard try await reader.waitForRecords(isolation: actor) else { return nil }
            }
        }
    }
}

/// Holds an async iterator's ring and its waiter; stops the waiter's thread
/// when the iterator goes away.
@usableFromInline
final class RingBufferAsyncReader {
    @usableFromInline let ring: RingBuffer
    private var waiter: ReadinessWaiter?

    init(ring: RingBuffer) { self.ring = ring }

    /// Waits, on the caller's actor, until the ring is signalled; false when
    /// the task is cancelled.
    @usableFromInline
    func waitForRecords(isolation actor: isolated (any Actor)?) async throws(BPFError) -> Bool {
        if let waiter { return await waiter.wait() }
        let created = try ReadinessWaiter(fd: ring.fileDescriptor, object: "ring buffer \(ring.name)")
        waiter = created
        return await created.wait()
    }

    deinit {
        ring.publishReadPosition()
        waiter?.stop()
    }
}

extension RingBuffer {
    /// The ring's records as an AsyncSequence of copies (see
    /// ``RingBufferRecords``).
    public func records() -> RingBufferRecords { RingBufferRecords(ring: self) }
}
