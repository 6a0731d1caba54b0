import BCC
import Foundation
import Synchronization

/// A thread that polls one config's ring buffers until stopped; a stop
/// takes effect within one poll timeout (100 ms).
final class RingPoller: Sendable {
    private let config: LoadedConfig
    private let log: @Sendable (Exporter.LogLevel, String) -> Void
    /// Whether the thread started, and whether it was asked to stop.
    private let state = Mutex((started: false, stopping: false))
    private let finished = DispatchSemaphore(value: 0)

    init(config: LoadedConfig, log: @escaping @Sendable (Exporter.LogLevel, String) -> Void) {
        self.config = config
        self.log = log
    }

    /// Starts the thread.
    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "ring-poller-\(config.config.name)"
        state.withLock { $0.started = true }
        thread.start()
    }

    /// Asks the thread to stop and waits until it has.
    func stop() {
        let running = state.withLock { state in
            defer { state.stopping = true }
            return state.started && !state.stopping
        }
        if running { finished.wait() }
    }

    private var shouldStop: Bool { state.withLock { $0.stopping } }

    private func run() {
        defer { finished.signal() }
        while !shouldStop {
            do {
                _ = try config.withProgram { try $0.ringBufferPoll(timeout: 100) }
            } catch {
                log(.error, "config '\(config.config.name)': polling its ring buffers failed, they are no longer read: \(error)")
                return
            }
        }
    }
}
