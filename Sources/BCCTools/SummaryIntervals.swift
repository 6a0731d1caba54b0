// The summary loop of bcc's interval tools (runqlat, funccount, argdist...):
// sleep an interval, print, repeat until a count, a duration or Ctrl-C.
import ArgumentParser

/// Paces a tool that prints a summary every `interval` seconds, `count`
/// times, until `stop` (Ctrl-C, SIGTERM or its duration) ends it early.
public struct SummaryIntervals {
    /// Seconds between summaries.
    public let interval: Double
    /// Summaries left to print (nil: unlimited).
    public private(set) var remaining: Int?
    /// What ends the loop early.
    public let stop: StopSignal

    /// A loop of `count` summaries (nil: until stopped), `interval` seconds apart.
    public init(interval: Double, count: Int? = nil, stop: StopSignal) {
        self.interval = interval
        remaining = count
        self.stop = stop
    }

    /// Waits for the end of the next interval (or an earlier stop) and
    /// returns true when this is the last summary.
    public mutating func waitForSummary() -> Bool {
        stop.wait(until: .now + .seconds(interval))
        if let left = remaining { remaining = left - 1 }
        return stop.isStopped || (remaining ?? 1) <= 0
    }
}

/// The trailing `[interval [count]]` arguments of bcc's summarizing tools.
public struct SummaryArguments: ParsableArguments {
    @Argument(help: "output interval, in seconds")
    public var interval: Int = 99_999_999

    @Argument(help: "number of outputs")
    public var count: Int = 99_999_999

    public init() {}

    public func validate() throws {
        guard interval > 0 else { throw ValidationError("interval must be positive, got \(interval)") }
        guard count > 0 else { throw ValidationError("count must be positive, got \(count)") }
    }

    /// The summary loop these arguments ask for, ended early by `stop`.
    public func intervals(stop: StopSignal = StopSignal()) -> SummaryIntervals {
        SummaryIntervals(interval: Double(interval), count: count, stop: stop)
    }
}
