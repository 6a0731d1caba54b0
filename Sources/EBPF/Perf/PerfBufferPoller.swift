/// Waits on every CPU ring of several perf buffers with one epoll
/// descriptor: bcc's `perf_buffer_poll`, which serves all perf buffers of a
/// BPF object.
public final class PerfBufferPoller: BufferPoller {
    private let epoll: Epoll
    private var buffers: [PerfBuffer] = []

    /// The epoll descriptor, readable when a ring has data, for external loops.
    public var epollFileDescriptor: Int32 { epoll.fileDescriptor }

    /// Makes a ``poll(timeout:)`` blocked on another thread return 0 at once.
    public var waker: PollWaker { epoll.waker }

    /// Creates an empty poller.
    public init() throws(BPFError) {
        epoll = try Epoll(object: "perf buffer poller")
    }

    deinit {
        close()
    }

    /// Adds every CPU ring of `buffer`; the poller keeps the buffer and
    /// closes it in ``close()``.
    public func add(_ buffer: PerfBuffer) throws(BPFError) {
        guard !epoll.isClosed else {
            throw BPFError.closed(object: "perf buffer poller")
        }
        let bufferIndex = UInt64(buffers.count)
        for (ringIndex, ring) in buffer.rings.enumerated() {
            do {
                try epoll.add(ring.fd.rawValue, token: bufferIndex << 32 | UInt64(ringIndex),
                              what: "perf buffer \(buffer.name) CPU \(ring.cpu)")
            } catch {
                for earlier in buffer.rings[..<ringIndex] { epoll.remove(earlier.fd.rawValue) }
                throw error
            }
        }
        buffers.append(buffer)
    }

    /// Waits up to `timeout` milliseconds (-1: until a ring has data) and
    /// reads the rings that have data. Returns the samples handled; 0 on
    /// timeout, when a signal interrupts the wait, or when ``waker`` woke it.
    @discardableResult
    public func poll(timeout: Int = -1) throws -> Int {
        guard !epoll.isClosed else {
            throw BPFError.closed(object: "perf buffer poller")
        }
        // Rings that already hold records are read without entering
        // epoll_wait; the poller waits only when every ring is empty.
        var count = 0
        var found = false
        for buffer in buffers {
            for (index, ring) in buffer.rings.enumerated() where ring.hasUnreadData {
                found = true
                count += try buffer.consume(ring: index)
            }
        }
        if found { return count }
        let ready = try epoll.wait(maxEvents: Epoll.capacity, timeout: timeout)
        for index in 0..<ready {
            let token = epoll.token(at: index)
            count += try buffers[Int(token >> 32)].consume(ring: Int(token & 0xffff_ffff))
        }
        return count
    }

    /// Reads every ring of every buffer without waiting.
    @discardableResult
    public func consume() throws -> Int {
        var count = 0
        for buffer in buffers { count += try buffer.consume() }
        return count
    }

    /// Closes every buffer and the epoll descriptor; later calls do nothing.
    public func close() {
        for buffer in buffers { buffer.close() }
        buffers.removeAll()
        epoll.close()
    }
}
