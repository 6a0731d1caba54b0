import EBPF

/// The event loop: ``poll(timeout:)`` over everything opened on this
/// object, and bcc's `ring_buffer_poll`, `ring_buffer_consume` and
/// `perf_buffer_poll` for one kind. Unlike bcc's, they return how many
/// records they handled and rethrow a callback's error unchanged; a
/// failure of the buffers themselves is a ``BCCError``.
extension BPF {
    /// Waits up to `timeout` milliseconds (-1: until something arrives, 0:
    /// not at all) for any ring buffer, perf buffer or trace_pipe opened on
    /// this object, then hands what each holds to its callback. Returns the
    /// number of records and lines handled; 0 on timeout or when a signal
    /// (Ctrl-C) interrupts the wait. With nothing open it just waits.
    ///
    /// A callback that throws stops the poll after its record; the error is
    /// rethrown here, and the records after it stay for the next call.
    @discardableResult
    public func poll(timeout: Int = -1) throws -> Int {
        try wrappingPollErrors("poll") { try eventLoop.poll(timeout: timeout) }
    }

    /// ``poll(timeout:)`` with a `Duration` (rounded up to milliseconds).
    @discardableResult
    public func poll(timeout: Duration) throws -> Int {
        try poll(timeout: Int(clamping: Int64((timeout / .milliseconds(1)).rounded(.up))))
    }

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
        let poller = try eventLoop.ringPoller()
        return try wrappingPollErrors("ring buffer poll") { try poller.poll(timeout: timeout) }
    }

    /// Hands every record already in the open rings to their callbacks
    /// without waiting, at most `limit` in total; returns how many.
    @discardableResult
    public func ringBufferConsume(max limit: Int = .max) throws -> Int {
        let poller = try eventLoop.ringPoller()
        return try wrappingPollErrors("ring buffer consume") { try poller.consume(max: limit) }
    }

    /// The epoll descriptor of the open rings, readable when one has data:
    /// for an external event loop, which then calls ``ringBufferConsume(max:)``.
    public var ringBufferEpollFileDescriptor: Int32? { eventLoop.ringEpollFileDescriptor }

    /// Waits up to `timeout` milliseconds for the perf buffers opened with
    /// ``Table/openPerfBuffer(pageCount:lostCallback:wakeupEvents:_:)`` and
    /// hands their records to the callbacks. Returns the number of samples handled.
    @discardableResult
    public func perfBufferPoll(timeout: Int = -1) throws -> Int {
        let poller = try eventLoop.perfPoller()
        return try wrappingPollErrors("perf buffer poll") { try poller.poll(timeout: timeout) }
    }

    /// Hands every sample already in the open perf buffers to the callbacks
    /// without waiting; returns how many.
    @discardableResult
    public func perfBufferConsume() throws -> Int {
        let poller = try eventLoop.perfPoller()
        return try wrappingPollErrors("perf buffer consume") { try poller.consume() }
    }

    /// Runs a poll, wrapping the kernel layer's errors (a corrupt record, a
    /// failed wait) as ``BCCError/kernel(operation:object:cause:)``; a
    /// callback's own error passes through unchanged.
    private func wrappingPollErrors(_ operation: String, _ body: () throws -> Int) throws -> Int {
        do {
            return try body()
        } catch let error as BPFError {
            throw BCCError.kernel(operation: operation, object: fileName, cause: error)
        }
    }
}
