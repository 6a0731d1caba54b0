import BCC
import Foundation

/// A thread that polls one config's ring buffers until stopped; a stop
/// takes effect within one poll timeout (100 ms).
final class RingPoller: @unchecked Sendable {
    private let config: LoadedConfig
    private let log: @Sendable (Exporter.LogLevel, String) -> Void
    // Guarded by `lock`.
    private let lock = NSLock()
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)
    private var thread: Thread?

    init(config: LoadedConfig, log: @escaping @Sendable (Exporter.LogLevel, String) -> Void) {
        self.config = config
        self.log = log
    }

    /// Starts the thread.
    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "ring-poller-\(config.config.name)"
        lock.lock()
        self.thread = thread
        lock.unlock()
        thread.start()
    }

    /// Asks the thread to stop and waits until it has.
    func stop() {
        lock.lock()
        let started = thread != nil && !stopping
        stopping = true
        lock.unlock()
        if started { finished.wait() }
    }

    private var shouldStop: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    private func run() {
        defer { finished.signal() }
        while !shouldStop {
            do {
                _ = try config.bpf.ringBufferPoll(timeout: 100)
            } catch {
                log(.error, "config '\(config.config.name)': polling its ring buffers failed, they are no longer read: \(error)")
                return
            }
        }
    }
}
