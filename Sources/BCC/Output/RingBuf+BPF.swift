import EBPF

/// bcc's `ring_buffer_poll`, `ring_buffer_consume` and `perf_buffer_poll`:
/// they serve every buffer opened on this object, and, unlike bcc, return
/// how many records they handled and rethrow a callback's error.
extension BPF {
    /// Waits up to `timeout` milliseconds (-1: until a ring has data, 0: not
    /// at all) and hands the records of every ring opened with
    /// ``Table/openRingBuffer(_:)`` to its callback. Returns the number of
    /// records handled; 0 on timeout or when a signal (Ctrl-C) interrupts
    /// the wait.
    ///
    /// A callback that throws stops the poll after its record; the error is
    /// rethrown here, and the records after it stay for the next call.
    @discardableResult
    public func ringBufferPoll(timeout: Int = -1) throws -> Int {
        guard let poller = outputBuffers.ringPoller else {
            throw BCCError.invalidUse(object: fileName, detail: "no ring buffer is open; call openRingBuffer on a BPF_RINGBUF_OUTPUT table first")
        }
        return try poller.poll(timeout: timeout)
    }

    /// Hands every record already in the open rings to their callbacks
    /// without waiting, at most `limit` in total; returns how many.
    @discardableResult
    public func ringBufferConsume(max limit: Int = .max) throws -> Int {
        guard let poller = outputBuffers.ringPoller else {
            throw BCCError.invalidUse(object: fileName, detail: "no ring buffer is open; call openRingBuffer on a BPF_RINGBUF_OUTPUT table first")
        }
        return try poller.consume(max: limit)
    }

    /// The epoll descriptor of the open rings, readable when one has data:
    /// for an external event loop, which then calls ``ringBufferConsume(max:)``.
    public var ringBufferEpollFileDescriptor: Int32? { outputBuffers.ringPoller?.epollFileDescriptor }

    /// Waits up to `timeout` milliseconds for the perf buffers opened with
    /// ``Table/openPerfBuffer(pageCount:lostCallback:_:)`` and hands their
    /// records to the callbacks. Returns the number of samples handled.
    @discardableResult
    public func perfBufferPoll(timeout: Int = -1) throws -> Int {
        guard let poller = outputBuffers.perfPoller else {
            throw BCCError.invalidUse(object: fileName, detail: "no perf buffer is open; call openPerfBuffer on a BPF_PERF_OUTPUT table first")
        }
        return try poller.poll(timeout: timeout)
    }

    /// Hands every sample already in the open perf buffers to the callbacks
    /// without waiting; returns how many.
    @discardableResult
    public func perfBufferConsume() throws -> Int {
        guard let poller = outputBuffers.perfPoller else {
            throw BCCError.invalidUse(object: fileName, detail: "no perf buffer is open; call openPerfBuffer on a BPF_PERF_OUTPUT table first")
        }
        return try poller.consume()
    }
}
