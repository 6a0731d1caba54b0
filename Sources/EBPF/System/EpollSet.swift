import CBPF
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A level-triggered epoll descriptor whose ready list is allocated once, so
/// that waiting allocates nothing: what the ring and perf buffer pollers
/// share. Each registered descriptor carries a caller-chosen token that
/// ``wait(maxEvents:timeout:)`` hands back through ``token(at:)``.
final class EpollSet {
    /// Most descriptors reported by one wait.
    static let capacity = 64

    private let epoll: OwnedFD
    private let readyTokens: UnsafeMutablePointer<UInt64>
    private let readyEvents: UnsafeMutablePointer<UInt32>
    /// Names the owner in errors ("ring buffer poller").
    private let object: String

    /// Creates an empty set; `object` names its owner in errors.
    init(object: String) throws {
        let fd = cbpf_epoll_create()
        guard fd >= 0 else { throw BPFError.system(operation: "epoll_create1", object: object, errno: errno) }
        epoll = OwnedFD(rawValue: fd)
        readyTokens = .allocate(capacity: Self.capacity)
        readyEvents = .allocate(capacity: Self.capacity)
        self.object = object
    }

    deinit {
        readyTokens.deallocate()
        readyEvents.deallocate()
    }

    /// The epoll descriptor (-1 once closed).
    var fileDescriptor: Int32 { epoll.rawValue }

    /// True after ``close()``.
    var isClosed: Bool { epoll.rawValue < 0 }

    /// Watches `fd` for input; `what` names it in errors.
    func add(_ fd: Int32, token: UInt64, what: String) throws {
        guard cbpf_epoll_add(epoll.rawValue, fd, CBPF_EPOLLIN, token) == 0 else {
            throw BPFError.system(operation: "epoll_ctl add \(what)", object: object, errno: errno)
        }
    }

    /// Stops watching `fd`.
    func remove(_ fd: Int32) {
        _ = cbpf_epoll_del(epoll.rawValue, fd)
    }

    /// Waits up to `timeout` milliseconds (-1: forever) for at most
    /// `maxEvents` ready descriptors. Returns how many; 0 on timeout or when a
    /// signal interrupts the wait, so a Ctrl-C handler gets control back.
    func wait(maxEvents: Int, timeout: Int) throws -> Int {
        let limit = Int32(min(max(maxEvents, 1), Self.capacity))
        let ready = cbpf_epoll_wait(epoll.rawValue, readyTokens, readyEvents, limit, Int32(clamping: timeout))
        if ready < 0 {
            if errno == EINTR { return 0 }
            throw BPFError.system(operation: "epoll_wait", object: object, errno: errno)
        }
        return Int(ready)
    }

    /// The token of the `index`th descriptor the last wait reported.
    func token(at index: Int) -> UInt64 { readyTokens[index] }

    /// Closes the epoll descriptor; later calls do nothing.
    func close() { epoll.close() }
}
