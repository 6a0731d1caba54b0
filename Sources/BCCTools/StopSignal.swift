// Stopping a tool cleanly: on Ctrl-C, SIGTERM, or when its duration is up.
import Dispatch
import Glibc
import Synchronization

/// Turns SIGINT and SIGTERM into a flag the tool's poll loop checks, so the
/// loop ends normally and the BPF object detaches its probes on the way out
/// (the default action would kill the process with the probes' fds still open,
/// which the kernel cleans up, but output in flight would be lost).
public final class StopSignal: Sendable {
    /// Set by the signal handlers, which hold it rather than the StopSignal.
    private final class Flag: Sendable {
        let stopped = Atomic<Bool>(false)
    }

    private let flag = Flag()
    private let sources: Mutex<[any DispatchSourceSignal]>
    private let duration: Double?
    /// Set by the first ``isStopped`` or ``pollTimeout(slice:)``: the duration
    /// counts from then, when tracing runs, not from before the compile.
    private let deadline = Mutex<ContinuousClock.Instant?>(nil)

    /// Starts watching SIGINT and SIGTERM at once (Ctrl-C during a compile
    /// counts); with `duration`, also stops once that many seconds have
    /// passed since the loop first asked (``isStopped``, ``pollTimeout(slice:)``).
    public init(duration: Double? = nil) {
        self.duration = duration
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [flag] in flag.stopped.store(true, ordering: .releasing) }
            source.resume()
            sources.append(source)
        }
        self.sources = Mutex(sources)
    }

    deinit {
        sources.withLock { sources in
            for source in sources { source.cancel() }
        }
    }

    /// Asks the loop to stop.
    public func stop() {
        flag.stopped.store(true, ordering: .releasing)
    }

    /// True once a signal arrived or the duration passed.
    public var isStopped: Bool {
        if let deadline = startedDeadline(), ContinuousClock.now >= deadline { return true }
        return flag.stopped.load(ordering: .acquiring)
    }

    /// The deadline, started on the first call.
    private func startedDeadline() -> ContinuousClock.Instant? {
        guard let duration else { return nil }
        return deadline.withLock { deadline in
            if deadline == nil { deadline = ContinuousClock.now + .seconds(duration) }
            return deadline
        }
    }

    /// Milliseconds to wait in one poll: at most `slice`, and no later than the deadline.
    public func pollTimeout(slice: Int = 100) -> Int {
        guard let deadline = startedDeadline() else { return slice }
        let remaining = ((deadline - .now) / .milliseconds(1)).rounded(.up)
        return remaining >= Double(slice) ? slice : max(0, Int(remaining))
    }

    /// Blocks until the tool is stopped, or until `end` when one is given,
    /// checking every ``pollTimeout(slice:)`` milliseconds.
    public func wait(until end: ContinuousClock.Instant? = nil) {
        while !isStopped {
            let now = ContinuousClock.now
            var step = Duration.milliseconds(pollTimeout())
            if let end {
                guard now < end else { return }
                step = min(step, end - now)
            }
            let (seconds, attoseconds) = step.components
            var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
            _ = nanosleep(&request, nil)
        }
    }
}
