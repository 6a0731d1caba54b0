import CBPF
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Lets async code wait until a descriptor becomes readable, without blocking
/// a thread of the cooperative pool: a dedicated thread blocks in an
/// edge-triggered `epoll_wait` and resumes the waiting task.
///
/// Edge-triggered readiness is only safe when the consumer, before waiting,
/// has published its position and re-checked the producer behind a full
/// fence (``RingBuffer`` does): every commit after that check wakes the
/// ring, and an edge that arrives while nobody waits is remembered, so the
/// next ``wait()`` returns at once.
final class ReadinessWaiter: Sendable {
    private struct State {
        var pending = false
        var stopped = false
        var cancelled = false
        var continuation: CheckedContinuation<Bool, Never>?
    }

    private let epoll: OwnedFD
    private let stopEvent: OwnedFD
    private let state = Mutex(State())
    private let thread: Mutex<pthread_t?> = Mutex(nil)

    private static let stopToken: UInt64 = 1
    private static let readyToken: UInt64 = 0

    /// Starts watching `fd` for readability. `object` names it in errors.
    init(fd: Int32, object: String) throws {
        let epollFD = cbpf_epoll_create()
        guard epollFD >= 0 else { throw BPFError.system(operation: "epoll_create1", object: object, errno: errno) }
        epoll = OwnedFD(rawValue: epollFD)
        let eventFD = cbpf_eventfd_create()
        guard eventFD >= 0 else { throw BPFError.system(operation: "eventfd", object: object, errno: errno) }
        stopEvent = OwnedFD(rawValue: eventFD)
        guard cbpf_epoll_add(epollFD, fd, CBPF_EPOLLIN | CBPF_EPOLLET, Self.readyToken) == 0,
              cbpf_epoll_add(epollFD, eventFD, CBPF_EPOLLIN, Self.stopToken) == 0 else {
            throw BPFError.system(operation: "epoll_ctl add", object: object, errno: errno)
        }
        var handle = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&handle, nil, { context in
            // Signals (Ctrl-C) belong to the program's own threads, not this one.
            var all = sigset_t()
            sigfillset(&all)
            pthread_sigmask(SIG_BLOCK, &all, nil)
            let waiter = Unmanaged<ReadinessWaiter>.fromOpaque(context!).takeRetainedValue()
            waiter.run()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<ReadinessWaiter>.fromOpaque(context).release()
            throw BPFError.system(operation: "pthread_create", object: object, errno: result)
        }
        thread.withLock { $0 = handle }
    }

    /// Returns true once the descriptor has become readable since the last
    /// call, false when the task is cancelled or the waiter stopped.
    func wait() async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let answer: Bool? = state.withLock { state in
                    if state.stopped || state.cancelled { return false }
                    if state.pending {
                        state.pending = false
                        return true
                    }
                    state.continuation = continuation
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            state.withLock { state in
                state.cancelled = true
                let waiting = state.continuation
                state.continuation = nil
                return waiting
            }?.resume(returning: false)
        }
    }

    /// Stops the thread, waits for it, and closes the descriptors. A task
    /// still waiting gets false.
    func stop() {
        guard let handle = thread.withLock({ current -> pthread_t? in
            defer { current = nil }
            return current
        }) else { return }
        var one: UInt64 = 1
        _ = Glibc.write(stopEvent.rawValue, &one, 8)
        pthread_join(handle, nil)
        epoll.close()
        stopEvent.close()
    }

    deinit { stop() }

    private func run() {
        var data: (UInt64, UInt64) = (0, 0)
        var events: (UInt32, UInt32) = (0, 0)
        running: while true {
            let count = withUnsafeMutablePointer(to: &data) { dataPointer in
                withUnsafeMutablePointer(to: &events) { eventPointer in
                    dataPointer.withMemoryRebound(to: UInt64.self, capacity: 2) { datas in
                        eventPointer.withMemoryRebound(to: UInt32.self, capacity: 2) { masks in
                            cbpf_epoll_wait(epoll.rawValue, datas, masks, 2, -1)
                        }
                    }
                }
            }
            if count < 0 {
                if errno == EINTR { continue }
                break running
            }
            if (count >= 1 && data.0 == Self.stopToken) || (count >= 2 && data.1 == Self.stopToken) { break running }
            state.withLock { state in
                let waiting = state.continuation
                state.continuation = nil
                if waiting == nil { state.pending = true }
                return waiting
            }?.resume(returning: true)
        }
        state.withLock { state in
            state.stopped = true
            let waiting = state.continuation
            state.continuation = nil
            return waiting
        }?.resume(returning: false)
    }
}
