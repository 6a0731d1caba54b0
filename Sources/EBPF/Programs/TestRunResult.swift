/// What BPF_PROG_TEST_RUN reports.
public struct TestRunResult: Sendable, Equatable {
    /// The program's return value (of the last run).
    public var retval: UInt32
    /// The average time of one run.
    public var duration: Duration
    /// The packet data after the program ran (empty when no data went in).
    public var dataOut: [UInt8]
    /// The context after the program ran (empty when no context went in).
    public var contextOut: [UInt8]
}
