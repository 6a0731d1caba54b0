import Testing
@testable import BCC

@Suite struct TraceFieldsTests {
    @Test func splitsAPrintkLine() throws {
        let line = "           <...>-12345   [003] d..31  8201.123456: bpf_trace_printk: Hello, World!\n"
        let fields = try #require(TraceFields(line: line[...]))
        #expect(fields == TraceFields(task: "<...>", pid: 12345, cpu: 3, flags: "d..31",
                                      timestamp: 8201.123456, message: "Hello, World!"))
    }

    @Test func keepsColonsInTheMessageAndLongTaskNames() throws {
        let line = " systemd-journal-431     [000] ...21   123.000001: 0x00000001: a: b: c"
        let fields = try #require(TraceFields(line: line[...]))
        #expect(fields.task == "systemd-journal")
        #expect(fields.pid == 431)
        #expect(fields.cpu == 0)
        #expect(fields.flags == "...21")
        #expect(fields.timestamp == 123.000001)
        #expect(fields.message == "a: b: c")
    }

    @Test func skipsLostEventNoticesAndShortLines() {
        #expect(TraceFields(line: "CPU:1 [LOST 12 EVENTS]") == nil)
        #expect(TraceFields(line: "") == nil)
        #expect(TraceFields(line: "            bash-1    [000] 12.5: x: y") == nil)
    }

    @Test func unparsableNumbersGiveBccsUnknownRecord() {
        let line = "            bash-abc     [0x1] d..31  1.0: bpf_trace_printk: hi"
        #expect(TraceFields(line: line[...]) == .unknown)
    }
}
