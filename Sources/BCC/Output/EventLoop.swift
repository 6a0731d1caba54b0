import EBPF
import Glibc

/// What one BPF object has open for reading: one ring buffer poller and one
/// perf buffer poller (each one epoll descriptor over all its buffers, as
/// bcc keeps one libbpf manager per object), and the kernel's trace_pipe.
///
/// Owned by the BPF object; tables reach it weakly, so a callback that
/// captures its table holds no reference to the object. Closing it closes
/// the buffers and releases the callbacks.
final class EventLoop {
    /// The program's file name, for errors.
    let program: String
    private var rings: RingBufferPoller?
    private var perfBuffers: PerfBufferPoller?
    private var tracePipe: (reader: TracePipe, handler: (String) throws -> Void)?
    private var opened: Set<String> = []
    private(set) var isClosed = false

    init(program: String) {
        self.program = program
    }

    // MARK: - Opening

    /// Adds ring buffer `map` (table `name`) with `handler`.
    func addRing(_ map: Map, name: String, handler: @escaping RingBufferPoller.Handler) throws(BCCError) {
        try opening(name) { () throws(BCCError) in
            try BCCError.wrapping("open ring buffer", "table '\(name)'") {
                let poller = try rings ?? RingBufferPoller()
                rings = poller
                try poller.add(map: map, handler: handler)
            }
        }
    }

    /// Opens perf buffer `map` (table `name`) on every online CPU.
    func addPerfBuffer(_ map: Map, name: String, pageCount: Int, wakeupEvents: Int, onSample: @escaping PerfBuffer.SampleHandler,
                       onLost: PerfBuffer.LostHandler?) throws(BCCError) {
        try opening(name) { () throws(BCCError) in
            try BCCError.wrapping("open perf buffer", "table '\(name)'") {
                let poller = try perfBuffers ?? PerfBufferPoller()
                perfBuffers = poller
                let buffer = try PerfBuffer(map: map, pageCount: pageCount, wakeupEvents: wakeupEvents,
                                            onSample: onSample, onLost: onLost)
                do { try poller.add(buffer) } catch { buffer.close(); throw error }
            }
        }
    }

    /// Opens the kernel's trace_pipe, whose lines go to `handler`.
    func openTracePipe(handler: @escaping (String) throws -> Void) throws(BCCError) {
        try opening("trace_pipe") { () throws(BCCError) in
            tracePipe = (try TracePipe(), handler)
        }
    }

    /// True when table `name` was opened with a callback.
    func isOpen(_ name: String) -> Bool { opened.contains(name) }

    private func opening(_ name: String, _ body: () throws(BCCError) -> Void) throws(BCCError) {
        guard !isClosed else { throw .closed(program: program) }
        guard !opened.contains(name) else {
            throw .invalidUse(object: name == "trace_pipe" ? name : "table '\(name)'",
                              detail: "is already open; open a buffer once per BPF object")
        }
        try body()
        opened.insert(name)
    }

    // MARK: - Polling

    /// The ring buffer poller, or why there is none.
    func ringPoller() throws(BCCError) -> RingBufferPoller {
        guard !isClosed else { throw .closed(program: program) }
        guard let rings else {
            throw .invalidUse(object: program, detail: "no ring buffer is open; call openRingBuffer on a BPF_RINGBUF_OUTPUT table first")
        }
        return rings
    }

    /// The perf buffer poller, or why there is none.
    func perfPoller() throws(BCCError) -> PerfBufferPoller {
        guard !isClosed else { throw .closed(program: program) }
        guard let perfBuffers else {
            throw .invalidUse(object: program, detail: "no perf buffer is open; call openPerfBuffer on a BPF_PERF_OUTPUT table first")
        }
        return perfBuffers
    }

    /// The ring buffer epoll descriptor, nil before a ring is opened.
    var ringEpollFileDescriptor: Int32? { rings?.epollFileDescriptor }

    /// Waits up to `timeout` milliseconds for any open source, then hands
    /// what each has to its callbacks; see ``BPF/poll(timeout:)``.
    func poll(timeout: Int) throws -> Int {
        guard !isClosed else { throw BCCError.closed(program: program) }
        // One source: its own wait, no second layer.
        switch (rings, perfBuffers, tracePipe) {
        case let (rings?, nil, nil): return try rings.poll(timeout: timeout)
        case let (nil, perfBuffers?, nil): return try perfBuffers.poll(timeout: timeout)
        default: break
        }
        let deadline = timeout < 0 ? nil : ContinuousClock.now + .milliseconds(timeout)
        while true {
            let handled = try pollEach()
            if handled > 0 || timeout == 0 { return handled }
            var remaining = -1
            if let deadline {
                remaining = max(0, Int(((deadline - .now) / .milliseconds(1)).rounded(.up)))
                if remaining == 0 { return 0 }
            }
            // Every source is drained and its consumer position published:
            // wait for the first to become readable (the pollers' epoll
            // descriptors are level-triggered, so they stay readable while a
            // buffer has data).
            var descriptors = [rings?.epollFileDescriptor, perfBuffers?.epollFileDescriptor, tracePipe?.reader.fileDescriptor]
                .compactMap { $0 }.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = Glibc.poll(&descriptors, nfds_t(descriptors.count), Int32(clamping: remaining))
            if ready < 0 && errno != EINTR {
                throw BCCError.kernel(operation: "wait for", object: "the buffers of \(program)",
                                      cause: .system(operation: "poll", object: program, errno: errno))
            }
            // A signal (Ctrl-C) returns control; a timeout ends the wait.
            if ready <= 0 { return 0 }
        }
    }

    /// Hands what every source holds to its callbacks, without waiting.
    private func pollEach() throws -> Int {
        var handled = 0
        // poll(timeout: 0), not consume(): a poll that finds a poller empty
        // publishes its position and clears its epoll readiness.
        if let rings { handled += try rings.poll(timeout: 0) }
        if let perfBuffers { handled += try perfBuffers.poll(timeout: 0) }
        if let (reader, handler) = tracePipe {
            while let line = try reader.readLine(timeout: 0) {
                try handler(line)
                handled += 1
            }
        }
        return handled
    }

    // MARK: - Closing

    /// Closes every buffer and trace_pipe and releases their callbacks; later
    /// opens and polls throw ``BCCError/closed(program:)``.
    func close() {
        isClosed = true
        rings?.close()
        perfBuffers?.close()
        rings = nil
        perfBuffers = nil
        tracePipe = nil
    }
}
