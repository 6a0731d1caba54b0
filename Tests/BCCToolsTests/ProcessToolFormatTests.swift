import Testing
@testable import BCCTools

/// The text of the process and system call tools, against bcc's formats.
@Suite struct ProcessToolFormatTests {
    @Test func syscountSummariesAsBcc() {
        let rows = [SyscountProgram.Row(key: 0, count: 5, totalNanoseconds: 9_000),
                    SyscountProgram.Row(key: 1, count: 7, totalNanoseconds: 1_500),
                    SyscountProgram.Row(key: UInt32.max, count: 99, totalNanoseconds: 1)]
        let counts = SyscountProgram.summary(rows: rows, time: "10:11:12", latency: false, byProcess: false, milliseconds: false,
                                             top: 10, processName: { _ in "" })
        #expect(counts == ["[10:11:12]", "SYSCALL                   COUNT", "write                         7",
                           "read                          5", ""])
        let latency = SyscountProgram.summary(rows: rows, time: "10:11:12", latency: true, byProcess: true, milliseconds: true,
                                              top: 1, processName: { "p\($0)" })
        #expect(latency == ["[10:11:12]", "PID    COMM               COUNT        TIME (ms)",
                            "0      p0                     5         0.009000", ""])
        #expect(SyscountProgram.syscallName(100_000) == "[unknown: 100000]")
        #expect(SyscountProgram.banner(failedOnly: true, syscall: nil, top: 3) == "Tracing failed syscalls, printing top 3... Ctrl+C to quit.")
    }

    @Test func signalListsAndNames() throws {
        #expect(try SignalNames.mask("9,15").get() == (1 << 8) | (1 << 14))
        #expect(throws: SignalListError.self) { try SignalNames.mask("9,x").get() }
        #expect(throws: SignalListError.self) { try SignalNames.mask("32", maximum: 31).get() }
        #expect(SignalNames.shortName(of: 9) == "KILL" && SignalNames.shortName(of: 64) == "RTMAX")
        #expect(SignalNames.shortName(of: 40) == nil)
        #expect(SignalNames.sigsnoopName(of: 17) == "SIGCHLD" && SignalNames.sigsnoopName(of: 40) == "SIGNAL-40")
    }

    @Test func exitStatusAsExitsnoop() {
        #expect(ExitsnoopProgram.status(exitCode: 0, signalInfo: 0) == "0")
        #expect(ExitsnoopProgram.status(exitCode: 2, signalInfo: 0) == "code 2")
        #expect(ExitsnoopProgram.status(exitCode: 0, signalInfo: 15) == "signal 15 (TERM)")
        #expect(ExitsnoopProgram.status(exitCode: 0, signalInfo: 0x80 | 11) == "signal 11 (SEGV), core dumped ")
    }

    @Test func mountArgumentsAsMountsnoop() {
        #expect(MountsnoopProgram.mountFlags(0) == "0x0")
        #expect(MountsnoopProgram.mountFlags(0xc0ed_0000 | 1 | 4096) == "MS_MGC_VAL|MS_RDONLY|MS_BIND")
        #expect(MountsnoopProgram.mountFlags(1 << 40 | 2) == "MS_NOSUID|0x10000000000")
        #expect(MountsnoopProgram.umountFlags(2) == "MNT_DETACH")
        #expect(MountsnoopProgram.errnoText(-2) == "-ENOENT" && MountsnoopProgram.errnoText(0) == "0")
        #expect(MountsnoopProgram.errnoText(-4000) == "-4000")
        #expect(MountsnoopProgram.fsconfigCommand(6) == "FSCONFIG_CMD_CREATE" && MountsnoopProgram.fsconfigCommand(20) == "0x14")
        #expect(MountsnoopProgram.directoryFD(-100) == "AT_FDCWD" && MountsnoopProgram.directoryFD(5) == "5")
        #expect(MountsnoopProgram.quoted("a\"b\\\n\u{1}") == "\"a\\\"b\\\\\\n\\x01\"")
    }

    @Test func killsnoopAndDrsnoopColumns() {
        #expect(KillsnoopProgram.pidWidth(pidMax: "4194304\n") == 8)
        #expect(KillsnoopProgram.pidWidth(pidMax: nil) == 6)
        #expect(KillsnoopProgram.header(pidWidth: 6) == "TIME      PID    COMM             SIG  TPID   RESULT")
        #expect(DrsnoopProgram.header(timestamps: false, uid: false, thread: true, verbose: false)
            == "COMM           TID     LAT(ms) PAGES")
        #expect(DrsnoopProgram.freeKB(meminfo: "MemTotal:  100 kB\nMemFree:    42 kB\n") == 42)
        #expect(StatsnoopProgram.header(timestamps: false, syscallNames: false) == "PID     COMM               FD ERR PATH")
    }
}
