import Testing
@testable import BCCTools

@Suite struct OpenSnoopFormatTests {
    @Test func headerMatchesBcc() {
        #expect(OpenSnoopFormatter().header == "PID    COMM               FD ERR PATH")
        #expect(OpenSnoopFormatter(timestamps: true, printUID: true).header
            == "TIME(s)       UID   PID    COMM               FD ERR PATH")
        #expect(OpenSnoopFormatter(showTID: true, extendedFields: true).header
            == "TID    COMM               FD ERR FLAGS    MODE PATH")
    }

    @Test func linesSplitReturnIntoFDAndErrno() {
        var formatter = OpenSnoopFormatter()
        let ok = OpenEvent(pid: 1234, tid: 1235, timestampMicros: 10, uid: 0, ret: 3, comm: "cat", path: "/etc/hosts")
        let failed = OpenEvent(pid: 1234, tid: 1235, timestampMicros: 20, uid: 0, ret: -2, comm: "cat", path: "/nope")
        #expect(formatter.line(for: ok) == "1234   cat                 3   0 /etc/hosts")
        #expect(formatter.line(for: failed) == "1234   cat                -1   2 /nope")
    }

    @Test func timestampsCountFromTheFirstEvent() {
        var formatter = OpenSnoopFormatter(timestamps: true, failedOnly: true)
        let first = OpenEvent(pid: 1, tid: 1, timestampMicros: 5_000_000, uid: 0, ret: 3, comm: "a", path: "/a")
        let second = OpenEvent(pid: 1, tid: 1, timestampMicros: 6_500_001, uid: 0, ret: -13, comm: "a", path: "/b")
        #expect(formatter.line(for: first) == nil)
        #expect(formatter.line(for: second) == "1.500001000   1      a                  -1  13 /b")
    }

    @Test func nameFilterAndExtendedFields() {
        var formatter = OpenSnoopFormatter(nameFilter: "ca", extendedFields: true)
        let creat = OpenEvent(pid: 7, tid: 7, timestampMicros: 1, uid: 0, ret: 4, comm: "cat", path: "/x",
                              flags: 0o101, mode: 0o644)
        let plain = OpenEvent(pid: 7, tid: 7, timestampMicros: 1, uid: 0, ret: 4, comm: "cat", path: "/y", flags: 0)
        #expect(formatter.line(for: creat) == "7      cat                 4   0 00000101 0644 /x")
        #expect(formatter.line(for: plain) == "7      cat                 4   0 00000000 n/a  /y")
        #expect(formatter.line(for: OpenEvent(pid: 8, tid: 8, timestampMicros: 1, uid: 0, ret: 3, comm: "ls", path: "/z")) == nil)
    }
}

@Suite struct ExecSnoopFormatTests {
    @Test func headerMatchesBcc() {
        #expect(ExecSnoopFormatter().header == "COMM             PID     PPID    RET ARGS")
        #expect(ExecSnoopFormatter(printUID: true).header == "UID   COMM             PID     PPID    RET ARGS")
        #expect(ExecSnoopFormatter(printParentComm: true).header == "COMM             PID     PCOMM            PPID    RET ARGS")
    }

    @Test func argumentsGatherUntilTheReturn() {
        var formatter = ExecSnoopFormatter()
        #expect(formatter.line(for: .argument(pid: 42, text: "/bin/echo")) == nil)
        #expect(formatter.line(for: .argument(pid: 42, text: "hi\nthere")) == nil)
        #expect(formatter.line(for: .returned(pid: 42, ppid: 41, uid: 0, comm: "echo", retval: 0))
            == "echo             42      41        0 /bin/echo hi\\nthere")
        // The arguments were consumed by the return.
        #expect(formatter.line(for: .returned(pid: 42, ppid: 0, uid: 0, comm: "echo", retval: 0))
            == "echo             42      ?         0 ")
    }

    @Test func failuresNamesAndQuotes() {
        var formatter = ExecSnoopFormatter(namePattern: "^ec", quote: true)
        _ = formatter.line(for: .argument(pid: 1, text: "/missing"))
        #expect(formatter.line(for: .returned(pid: 1, ppid: 2, uid: 0, comm: "sh", retval: -2)) == nil)
        _ = formatter.line(for: .argument(pid: 3, text: "say \"x\""))
        #expect(formatter.line(for: .returned(pid: 3, ppid: 2, uid: 0, comm: "echo", retval: 0))
            == "echo             3       2         0 \"say \\\"x\\\"\"")
        var failures = ExecSnoopFormatter(includeFailed: true, linePattern: "miss")
        _ = failures.line(for: .argument(pid: 5, text: "/missing"))
        #expect(failures.line(for: .returned(pid: 5, ppid: 2, uid: 0, comm: "sh", retval: -2))
            == "sh               5       2        -2 /missing")
    }
}
