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

    private let ring: RingBuffer

    init(ring: RingBuffer) { self.ring = ring }

    /// Creates the iterator; it starts the waiting thread on first use.
    public func makeAsyncIterator() -> Iterator { Iterator(ring: ring) }

    /// Iterates the records; only one iterator may read a ring at a time.
    public struct Iterator: AsyncIteratorProtocol {
        private let reader: Reader
        private var buffer: [UInt8] = []

        init(ring: RingBuffer) { reader = Reader(ring: ring) }

        /// The next record, or nil once the task is cancelled.
        public mutating func next() async throws -> [UInt8]? {
            try await next(isolation: nil)
        }

        /// The next record, or nil once the task is cancelled; runs on the
        /// caller's actor.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> [UInt8]? {
            while !Task.isCancelled {
                if try reader.ring.takeRecord(into: &buffer) { return buffer }
                guard try await reader.waiter().wait() else { return nil }
            }
            return nil
        }
    }

    /// Holds the ring and its waiter; stops the waiter's thread when the
    /// iterator goes away.
    private final class Reader {
        let ring: RingBuffer
        private var readiness: ReadinessWaiter?

        init(ring: RingBuffer) { self.ring = ring }

        func waiter() throws -> ReadinessWaiter {
            if let readiness { return readiness }
            let created = try ReadinessWaiter(fd: ring.fileDescriptor, object: "ring buffer \(ring.name)")
            readiness = created
            return created
        }

        deinit { readiness?.stop() }
    }
}

extension RingBuffer {
    /// The ring's records as an AsyncSequence of copies (see
    /// ``RingBufferRecords``).
    public func records() -> RingBufferRecords { RingBufferRecords(ring: self) }
}
