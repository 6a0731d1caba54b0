import CBPF
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Waits on every CPU ring of several perf buffers with one epoll
/// descriptor: bcc's `perf_buffer_poll`, which serves all perf buffers of a
/// BPF object.
public final class PerfBufferPoller {
    private let epoll: OwnedFD
    private var buffers: [PerfBuffer] = []
    private let readyData: UnsafeMutablePointer<UInt64>
    private let readyEvents: UnsafeMutablePointer<UInt32>
    private static let maxReady = 64

    /// The epoll descriptor, readable when a ring has data, for external loops.
    public var epollFileDescriptor: Int32 { epoll.rawValue }

    /// Creates an empty poller.
    public init() throws {
        let fd = cbpf_epoll_create()
        guard fd >= 0 else {
            throw BPFError.system(operation: "epoll_create1", object: "perf buffer poller", errno: errno)
        }
        epoll = OwnedFD(rawValue: fd)
        readyData = .allocate(capacity: Self.maxReady)
        readyEvents = .allocate(capacity: Self.maxReady)
    }

    deinit {
        close()
        readyData.deallocate()
        readyEvents.deallocate()
    }

    /// Adds every CPU ring of `buffer`; the poller keeps the buffer and
    /// closes it in ``close()``.
    public func add(_ buffer: PerfBuffer) throws {
        let bufferIndex = UInt64(buffers.count)
        for (ringIndex, ring) in buffer.rings.enumerated() {
            guard cbpf_epoll_add(epoll.rawValue, ring.fd.rawValue, CBPF_EPOLLIN, bufferIndex << 32 | UInt64(ringIndex)) == 0 else {
                let code = errno
                for earlier in buffer.rings[..<ringIndex] { _ = cbpf_epoll_del(epoll.rawValue, earlier.fd.rawValue) }
                throw BPFError.system(operation: "epoll_ctl add CPU \(ring.cpu)", object: "perf buffer \(buffer.name)", errno: code)
            }
        }
        buffers.append(buffer)
    }

    /// Waits up to `timeout` milliseconds (-1: until a ring has data) and
    /// reads the rings that have data. Returns the samples handled; 0 on
    /// timeout or when a signal interrupts the wait.
    @discardableResult
    public func poll(timeout: Int = -1) throws -> Int {
        guard epoll.rawValue >= 0 else {
            throw BPFError.invalidArgument(operation: "poll", object: "perf buffer poller", detail: "the poller is closed")
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
        let ready = cbpf_epoll_wait(epoll.rawValue, readyData, readyEvents, Int32(Self.maxReady), Int32(clamping: timeout))
        if ready < 0 {
            if errno == EINTR { return 0 }
            throw BPFError.system(operation: "epoll_wait", object: "perf buffer poller", errno: errno)
        }
        for index in 0..<Int(ready) {
            let token = readyData[index]
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
