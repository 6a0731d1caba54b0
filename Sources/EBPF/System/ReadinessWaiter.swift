import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Lets async code wait until a descriptor becomes readable, without blocking
/// a thread of the cooperative pool: a dedicated thread blocks in an
/// edge-triggered wait on an ``Epoll`` and resumes the waiting task.
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

    /// What the waiting thread owns: the epoll set (used by that thread only) and its waiter.
    private final class ThreadContext {
        let waiter: ReadinessWaiter
        let epoll: Epoll

        init(waiter: ReadinessWaiter, epoll: Epoll) {
            self.waiter = waiter
            self.epoll = epoll
        }
    }

    /// Ends the thread's wait; the epoll set itself belongs to the thread.
    private let waker: PollWaker
    private let state = Mutex(State())
    private let thread: Mutex<pthread_t?> = Mutex(nil)

    /// Starts watching `fd` for readability. `object` names it in errors.
    init(fd: Int32, object: String) throws(BPFError) {
        let epoll = try Epoll(object: object)
        try epoll.add(fd, token: 0, edgeTriggered: true, what: object)
        waker = epoll.waker
        var handle = pthread_t()
        let context = Unmanaged.passRetained(ThreadContext(waiter: self, epoll: epoll)).toOpaque()
        let result = pthread_create(&handle, nil, { context in
            // Signals (Ctrl-C) belong to the program's own threads, not this one.
            var all = sigset_t()
            sigfillset(&all)
            pthread_sigmask(SIG_BLOCK, &all, nil)
            let owned = Unmanaged<ThreadContext>.fromOpaque(context!).takeRetainedValue()
            owned.waiter.run(owned.epoll)
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<ThreadContext>.fromOpaque(context).release()
            throw .system(operation: "pthread_create", object: object, errno: result)
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

    /// Stops the thread and waits for it; its epoll set closes with it. A
    /// task still waiting gets false.
    func stop() {
        guard let handle = thread.withLock({ current -> pthread_t? in
            defer { current = nil }
            return current
        }) else { return }
        waker.wake()
        pthread_join(handle, nil)
    }

    deinit { stop() }

    /// The thread's loop: each readiness edge resumes the waiting task (or
    /// is remembered for the next one) until the waker ends it.
    private func run(_ epoll: Epoll) {
        while true {
            guard let ready = try? epoll.wait(maxEvents: 1, timeout: -1), !epoll.wasWoken else { break }
            // 0: a signal interrupted the wait (they are blocked here, so rarely).
            if ready == 0 { continue }
            state.withLock { state in
                let waiting = state.continuation
                state.continuation = nil
                if waiting == nil { state.pending = true }
                return waiting
            }?.resume(returning: true)
        }
        epoll.close()
        state.withLock { state in
            state.stopped = true
            let waiting = state.continuation
            state.continuation = nil
            return waiting
        }?.resume(returning: false)
    }
}
