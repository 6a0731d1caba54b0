import CBPF
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// MARK: - Epoll

/// EBPF's one epoll front end: an epoll descriptor with a wake eventfd
/// registered, and a ready list allocated once, so that waiting allocates
/// nothing. The ring and perf buffer pollers wait on one (level-triggered),
/// and so does the thread of ``ReadinessWaiter`` (edge-triggered).
///
/// Each registered descriptor carries a caller-chosen token that
/// ``wait(maxEvents:timeout:)`` hands back through ``token(at:)``. One
/// thread waits at a time; ``waker`` may be used from any thread.
final class Epoll {
    /// Most descriptors reported by one wait.
    static let capacity = 64

    /// Wakes a wait from any thread.
    let waker: PollWaker
    /// True when the last ``wait(maxEvents:timeout:)`` ended because of ``waker``.
    private(set) var wasWoken = false

    private let descriptor: OwnedFD
    private let readyTokens: UnsafeMutablePointer<UInt64>
    private let readyEvents: UnsafeMutablePointer<UInt32>
    /// Names the owner in errors ("ring buffer poller").
    private let object: String

    /// The token of the wake eventfd; callers' tokens must differ.
    private static let wakeToken = UInt64.max

    /// Creates a set holding only the wake eventfd; `object` names its owner in errors.
    init(object: String) throws(BPFError) {
        let fd = cbpf_epoll_create()
        guard fd >= 0 else { throw .system(operation: "epoll_create1", object: object, errno: errno) }
        descriptor = OwnedFD(rawValue: fd)
        waker = try PollWaker(object: object)
        guard cbpf_epoll_add(fd, waker.event.rawValue, CBPF_EPOLLIN, Self.wakeToken) == 0 else {
            throw .system(operation: "epoll_ctl add wake eventfd", object: object, errno: errno)
        }
        readyTokens = .allocate(capacity: Self.capacity)
        readyEvents = .allocate(capacity: Self.capacity)
        self.object = object
    }

    deinit {
        readyTokens.deallocate()
        readyEvents.deallocate()
    }

    /// The epoll descriptor (-1 once closed).
    var fileDescriptor: Int32 { descriptor.rawValue }

    /// True after ``close()``.
    var isClosed: Bool { descriptor.rawValue < 0 }

    /// Watches `fd` for input, level-triggered unless `edgeTriggered`; `what` names it in errors.
    func add(_ fd: Int32, token: UInt64, edgeTriggered: Bool = false, what: String) throws(BPFError) {
        precondition(token != Self.wakeToken, "the wake eventfd's token")
        let events = edgeTriggered ? CBPF_EPOLLIN | CBPF_EPOLLET : CBPF_EPOLLIN
        guard cbpf_epoll_add(descriptor.rawValue, fd, events, token) == 0 else {
            throw .system(operation: "epoll_ctl add \(what)", object: object, errno: errno)
        }
    }

    /// Stops watching `fd`.
    func remove(_ fd: Int32) {
        _ = cbpf_epoll_del(descriptor.rawValue, fd)
    }

    /// Waits up to `timeout` milliseconds (-1: forever) for at most
    /// `maxEvents` ready descriptors. Returns how many; 0 on timeout, when a
    /// signal interrupts the wait (so a Ctrl-C handler gets control back),
    /// or when ``waker`` woke it (then ``wasWoken`` is true).
    func wait(maxEvents: Int, timeout: Int) throws(BPFError) -> Int {
        // One slot more than asked, for the wake eventfd.
        let limit = Int32(min(max(maxEvents, 1) + 1, Self.capacity))
        var ready = Int(cbpf_epoll_wait(descriptor.rawValue, readyTokens, readyEvents, limit, Int32(clamping: timeout)))
        if ready < 0 {
            if errno == EINTR { return 0 }
            throw .system(operation: "epoll_wait", object: object, errno: errno)
        }
        wasWoken = false
        for index in 0..<ready where readyTokens[index] == Self.wakeToken {
            wasWoken = true
            waker.drain()
            ready -= 1
            readyTokens[index] = readyTokens[ready]
            break
        }
        return ready
    }

    /// The token of the `index`th descriptor the last wait reported.
    func token(at index: Int) -> UInt64 { readyTokens[index] }

    /// Closes the epoll descriptor; later calls do nothing.
    func close() { descriptor.close() }

    /// Milliseconds for epoll_wait: -1 (forever) for nil, else `timeout`
    /// rounded up so that a short positive timeout still waits.
    static func milliseconds(_ timeout: Duration?) -> Int {
        guard let timeout else { return -1 }
        let (seconds, attoseconds) = timeout.components
        guard seconds >= 0, timeout > .zero else { return 0 }
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return Int(Int32.max) }
        let fraction = (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int(min(whole + fraction, Int64(Int32.max)))
    }
}

// MARK: - PollWaker

/// Wakes a thread blocked in a poller's `poll`: the poll returns 0 at once
/// (and the next one waits again). Safe from any thread; wakes coalesce.
public final class PollWaker: Sendable {
    /// The eventfd registered in the epoll set.
    let event: OwnedFD

    init(object: String) throws(BPFError) {
        let fd = cbpf_eventfd_create()
        guard fd >= 0 else { throw .system(operation: "eventfd", object: object, errno: errno) }
        event = OwnedFD(rawValue: fd)
    }

    /// Wakes the waiting thread, or the next wait if none is waiting.
    public func wake() {
        var one: UInt64 = 1
        // EAGAIN means the counter is saturated: a wake is already pending.
        _ = try? withUnsafeBytes(of: &one) { (bytes) throws(Errno) in try event.write(bytes) }
    }

    /// Resets the counter (the eventfd is non-blocking).
    func drain() {
        var value: UInt64 = 0
        _ = try? withUnsafeMutableBytes(of: &value) { (bytes) throws(Errno) in try event.read(into: bytes) }
    }
}

// MARK: - BufferPoller

/// What the ring buffer and perf buffer pollers share: one ``Epoll`` wait
/// that ``waker`` can end from another thread, and timeouts in bcc's
/// milliseconds or as a `Duration`.
public protocol BufferPoller: AnyObject {
    /// Makes a ``poll(timeout:)-(Int)`` blocked on another thread return 0 at once.
    var waker: PollWaker { get }

    /// Waits up to `timeout` milliseconds (-1: until a buffer has data, 0:
    /// not at all), hands what arrived to the handlers, and returns how many
    /// records they got; 0 on timeout, on a signal, or when woken.
    func poll(timeout: Int) throws -> Int
}

extension BufferPoller {
    /// ``poll(timeout:)-(Int)`` with `timeout` as a `Duration` (nil: until a
    /// buffer has data, `.zero`: not at all), rounded up to milliseconds.
    @discardableResult
    public func poll(timeout: Duration?) throws -> Int {
        try poll(timeout: Epoll.milliseconds(timeout))
    }
}
