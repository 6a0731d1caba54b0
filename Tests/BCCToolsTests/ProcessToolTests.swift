import Foundation
import Testing
import TestSupport

/// syscount, killsnoop, sigsnoop, exitsnoop, statsnoop, mountsnoop, drsnoop
/// and oomkill against events the tests cause: system calls of a child,
/// signals to it, its exit, stats and mounts of this process and a child, reclaim and an
/// OOM kill in a memory cgroup of a few MiB.
@Suite(.serialized) struct ProcessToolTests {
    static func columns(_ line: String) -> [String] {
        line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    }

    /// A shell that ignores SIGUSR1 and sleeps 10 ms at a time.
    static func sleeper() throws -> ChildProcess {
        try ChildProcess("/bin/sh", ["-c", "trap '' USR1; while :; do sleep 0.01; done"])
    }

    /// A shell that waits for `flag` to exist, then runs `command`.
    static func waiting(for flag: String, then command: String) throws -> ChildProcess {
        try ChildProcess("/bin/sh", ["-c", "while [ ! -e '\(flag)' ]; do sleep 0.02; done; \(command)"])
    }

    /// The calling thread's name, as the kernel keeps it (what the tools record for its calls).
    static var ownComm: String {
        ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "").trimmingCharacters(in: .newlines)
    }

    // MARK: - syscount

    @Test func syscountCountsTheChildsCalls() throws {
        let child = try Self.sleeper()
        let tool = try ToolProcess("syscount", ["-p", String(child.pid), "-d", "2"])
        try #require(tool.waitForLine { $0 == "Tracing syscalls, printing top 10... Ctrl+C to quit." } != nil,
                     "stderr: \(tool.standardError)")
        #expect(tool.waitForExit(timeout: 30) == 0)
        let lines = tool.outputLines
        let header = try #require(lines.firstIndex(of: "SYSCALL                   COUNT"), "output: \(lines)")
        let rows = Dictionary(lines[(header + 1)...].map { Self.columns($0) }.filter { $0.count == 2 }
            .compactMap { row in Int(row[1]).map { (row[0], $0) } }, uniquingKeysWith: +)
        // The shell forks each sleep and waits for it: some hundred times in two seconds.
        #expect((rows["wait4"] ?? 0) >= 10, "rows \(rows)")
        #expect((rows["clone"] ?? 0) + (rows["clone3"] ?? 0) + (rows["vfork"] ?? 0) >= 10, "rows \(rows)")
        #expect(rows.count <= 10)
        #expect(lines.last == "Detaching...")
    }

    @Test func syscountLatencyByProcessOfTheChildsChildren() throws {
        let child = try ChildProcess("/bin/sh", ["-c", "while :; do cat /nonexistent-swiftbcc 2>/dev/null; sleep 0.01; done"])
        // Failed openat calls of the shell's children (the cats), with ENOENT.
        let failed = try ToolProcess("syscount", ["-c", String(child.pid), "-e", "ENOENT", "--syscall", "openat", "-d", "2"])
        try #require(failed.waitForLine { $0 == "Tracing syscall 'openat'... Ctrl+C to quit." } != nil,
                     "stderr: \(failed.standardError)")
        #expect(failed.waitForExit(timeout: 30) == 0)
        let row = try #require(failed.outputLines.first { $0.hasPrefix("openat ") }, "output: \(failed.outputLines)")
        #expect((Int(Self.columns(row)[1]) ?? 0) >= 10, "row \(row)")
        #expect(!failed.outputLines.contains { $0.hasPrefix("read ") || $0.hasPrefix("wait4 ") })

        let latency = try ToolProcess("syscount", ["-L", "-m", "-P", "-p", String(child.pid), "-i", "1", "-d", "2"])
        #expect(latency.waitForExit(timeout: 30) == 0, "stderr: \(latency.standardError)")
        let lines = latency.outputLines
        #expect(lines.filter { $0 == "PID    COMM               COUNT        TIME (ms)" }.count == 2, "output: \(lines)")
        let own = lines.filter { $0.hasPrefix("\(child.pid) ") }.map { Self.columns($0) }
        #expect(own.count == 2, "output: \(lines)")
        for columns in own {
            #expect(columns[1] == "sh")
            #expect((Int(columns[2]) ?? 0) > 0)
            // Milliseconds with six decimals; the shell spends most of each second in wait4.
            #expect(columns[3].split(separator: ".").last?.count == 6)
            #expect((Double(columns[3]) ?? 0) > 100, "row \(columns)")
        }
    }

    @Test func syscountRejectsUnknownNames() throws {
        let syscall = try ToolProcess("syscount", ["--syscall", "no_such_call"])
        #expect(syscall.waitForExit(timeout: 20) != 0)
        #expect(syscall.standardError.contains("syscall 'no_such_call' not found"))
        let errno = try ToolProcess("syscount", ["-e", "ENOSUCH"])
        #expect(errno.waitForExit(timeout: 20) != 0)
        #expect(errno.standardError.contains("couldn't map ENOSUCH to an errno"))
        let list = try ToolProcess("syscount", ["-l"])
        #expect(list.waitForExit(timeout: 20) == 0)
        let names = list.outputLines.joined(separator: " ").split(separator: " ")
        #expect(names.contains("openat") && names.contains("clone3"))
        #expect(names.map(String.init) == names.map(String.init).sorted())
    }

    // MARK: - Signals

    @Test func killsnoopShowsThisProcesssKills() throws {
        let child = try Self.sleeper()
        let tool = try ToolProcess("killsnoop", ["-p", String(getpid())])
        try #require(tool.waitForLine { $0.hasPrefix("TIME") } != nil, "stderr: \(tool.standardError)")
        #expect(kill(child.pid, SIGUSR1) == 0)
        #expect(kill(Int32.max, 0) == -1)   // no such process: ESRCH
        let sent = try #require(tool.waitForLine { Self.columns($0).count >= 6 && Self.columns($0)[4] == String(child.pid) })
        #expect(Array(Self.columns(sent)[1...]) == [String(getpid()), Self.ownComm, "10", String(child.pid), "0"])
        let failed = try #require(tool.waitForLine { Self.columns($0).count >= 6 && Self.columns($0)[4] == String(Int32.max) })
        #expect(Self.columns(failed)[3] == "0" && Self.columns(failed)[5] == "-3")
        #expect(tool.stop(signal: SIGTERM) == 0)

        let json = try ToolProcess("killsnoop", ["-j", "-T", String(child.pid)])
        let record = #"{"table":"events","fields":{"pid":\#(getpid()),"tpid":\#(child.pid),"sig":10,"ret":0,"comm":"\#(Self.ownComm)"}}"#
        // -j prints no header: signal until the record shows (the probes attach after the compile).
        var found: String?
        let deadline = Date().addingTimeInterval(30)
        while found == nil && Date() < deadline {
            kill(child.pid, SIGUSR1)
            found = json.waitForLine(timeout: 0.5) { $0 == record }
        }
        #expect(found != nil, "output: \(json.outputLines) stderr: \(json.standardError)")
        #expect(json.stop() == 0)

        // -x: the failed kill only.
        let failures = try ToolProcess("killsnoop", ["-x", "-p", String(getpid())])
        try #require(failures.waitForLine { $0.hasPrefix("TIME") } != nil, "stderr: \(failures.standardError)")
        #expect(kill(child.pid, SIGUSR1) == 0)
        #expect(kill(Int32.max, 0) == -1)
        let failure = try #require(failures.waitForLine { Self.columns($0).count >= 6 && Self.columns($0)[4] == String(Int32.max) })
        #expect(Self.columns(failure)[5] == "-3")
        #expect(failures.stop() == 0)
        #expect(!failures.outputLines.contains { Self.columns($0).count >= 6 && Self.columns($0)[4] == String(child.pid) })

        let invalid = try ToolProcess("killsnoop", ["-s", "0,10"])
        #expect(invalid.waitForExit(timeout: 20) != 0)
        #expect(invalid.standardError.contains("invalid signal '0'"))
    }

    @Test func sigsnoopNamesTheTarget() throws {
        let child = try Self.sleeper()
        let tool = try ToolProcess("sigsnoop", ["-n", "-s", "10", "-p", String(getpid())])
        try #require(tool.waitForLine { $0.hasPrefix("TIME") }
            == "TIME     PID     COMM             SIG          TPID    TCOMM            RESULT", "stderr: \(tool.standardError)")
        #expect(kill(child.pid, SIGCONT) == 0)   // not in -s
        #expect(kill(child.pid, SIGUSR1) == 0)
        let line = try #require(tool.waitForLine { Self.columns($0).count == 7 && Self.columns($0)[4] == String(child.pid) })
        #expect(Array(Self.columns(line)[1...]) == [String(getpid()), Self.ownComm, "SIGUSR1", String(child.pid), "sh", "0"])
        #expect(tool.stop() == 0)
        #expect(!tool.outputLines.contains { $0.contains("SIGCONT") })

        let kills = try ToolProcess("sigsnoop", ["-k", "-p", String(getpid())])
        try #require(kills.waitForLine { $0.hasPrefix("TIME") } != nil, "stderr: \(kills.standardError)")
        #expect(kill(Int32.max, SIGUSR1) == -1)
        let failed = try #require(kills.waitForLine { Self.columns($0).count == 7 && Self.columns($0)[4] == String(Int32.max) })
        #expect(Array(Self.columns(failed)[3...]) == ["10", String(Int32.max), "N/A", "-3"])
        #expect(kills.stop() == 0)
    }

    // MARK: - exitsnoop

    @Test func exitsnoopShowsCodesAndSignals() throws {
        let directory = try TestSupport.temporaryDirectory("exitsnoop")
        defer { try? FileManager.default.removeItem(at: directory) }
        let flag = directory.appendingPathComponent("go").path
        let child = try Self.waiting(for: flag, then: "exit 3")
        let tool = try ToolProcess("exitsnoop", ["-t", "-p", String(child.pid)])
        try #require(tool.waitForLine { $0.hasPrefix("TIME-") } != nil, "stderr: \(tool.standardError)")
        FileManager.default.createFile(atPath: flag, contents: nil)
        // With -p the tool ends after that process's exit.
        #expect(tool.waitForExit(timeout: 30) == 0, "stderr: \(tool.standardError)")
        let line = try #require(tool.outputLines.first { Self.columns($0).count >= 6 && Self.columns($0)[2] == String(child.pid) },
                                "output: \(tool.outputLines)")
        let columns = Self.columns(line)
        #expect(columns[0].count == 12 && columns[0].filter { $0 == ":" }.count == 2 && columns[0].contains("."))
        #expect(columns[1] == "sh" && columns[3] == String(getpid()) && columns[4] == String(child.pid))
        #expect((Double(columns[5]) ?? -1) >= 0)
        #expect(line.hasSuffix(" code 3"))

        let killed = try Self.sleeper()
        let failures = try ToolProcess("exitsnoop", ["-x", "--label", "", "-p", String(killed.pid)])
        try #require(failures.waitForLine { $0.hasPrefix("LABEL PCOMM") } != nil, "stderr: \(failures.standardError)")
        kill(killed.pid, SIGKILL)
        #expect(failures.waitForExit(timeout: 30) == 0)
        let signalled = try #require(failures.outputLines.first { $0.hasPrefix("exit  sh ") }, "output: \(failures.outputLines)")
        #expect(Self.columns(signalled)[2] == String(killed.pid))
        #expect(signalled.hasSuffix(" signal 9 (KILL)"))
    }

    // MARK: - statsnoop

    @Test func statsnoopShowsThisProcesssStats() throws {
        let directory = try TestSupport.temporaryDirectory("statsnoop")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("present").path
        let missing = directory.appendingPathComponent("missing").path
        FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        let tool = try ToolProcess("statsnoop", ["-s", "-t", "-p", String(getpid())])
        try #require(tool.waitForLine { $0.hasPrefix("TIME(s)") } == "TIME(s)       PID     COMM               FD ERR SYSCALL      PATH",
                     "stderr: \(tool.standardError)")
        var status = stat()
        #expect(stat(file, &status) == 0)
        #expect(stat(missing, &status) == -1)
        let names = ["stat", "statx", "statfs", "newstat", "newlstat", "fstatat64", "newfstatat"]
        for (path, fd, err) in [(file, "0", "0"), (missing, "-1", "2")] {
            let line = try #require(tool.waitForLine { Self.columns($0).count == 7 && Self.columns($0).last == path },
                                    "output: \(tool.outputLines.suffix(20))")
            let columns = Self.columns(line)
            #expect(Double(columns[0]) != nil)
            #expect(Array(columns[1...4]) == [String(getpid()), Self.ownComm, fd, err], "line \(line)")
            #expect(names.contains(columns[5]))
        }
        #expect(tool.stop() == 0)
    }

    // MARK: - mountsnoop

    @Test func mountsnoopShowsATmpfsMount() throws {
        let directory = try TestSupport.temporaryDirectory("mountsnoop")
        defer { try? FileManager.default.removeItem(at: directory) }
        let tool = try ToolProcess("mountsnoop", ["-P"])
        try #require(tool.waitForLine { $0.hasPrefix("COMM") }
            == "COMM             PID     TID     PCOMM            PPID    MNT_NS      CALL", "stderr: \(tool.standardError)")
        let target = directory.path
        defer { umount2(target, Int32(MNT_DETACH)) }   // should a step below fail with the tmpfs mounted
        let flags = UInt(MS_NOSUID | MS_NODEV)
        #expect(mount("swiftbcc-test", target, "tmpfs", flags, "size=1m") == 0, "errno \(errno)")
        #expect(umount2(target, 0) == 0)
        #expect(mount("swiftbcc-test", target + "/missing", "tmpfs", 0, nil) == -1)
        let ownTID = try TestSupport.currentThreadID()
        let expected = [
            "mount(\"swiftbcc-test\", \"\(target)\", \"tmpfs\", MS_NOSUID|MS_NODEV, \"size=1m\") = 0",
            "umount(\"\(target)\", 0x0) = 0",
            "mount(\"swiftbcc-test\", \"\(target)/missing\", \"tmpfs\", 0x0, \"\") = -ENOENT",
        ]
        let namespace = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/mnt")
            .filter(\.isNumber)
        for call in expected {
            let line = try #require(tool.waitForLine { $0.hasSuffix(call) }, "output: \(tool.outputLines.suffix(20))")
            // PCOMM is the forking thread's name, which may be a thread name of the parent.
            let columns = Self.columns(String(line.dropLast(call.count)))
            #expect(columns.count == 6, "line \(line)")
            #expect(Array(columns.prefix(3)) == [Self.ownComm, String(getpid()), String(ownTID)], "line \(line)")
            #expect(Array(columns.suffix(2)) == [String(getppid()), namespace], "line \(line)")
        }

        // The mount API, from a child: its calls, the later ones with the descriptors the earlier returned.
        let program = try TestSupport.compileHostProgram("mount_api.c")
        defer { try? FileManager.default.removeItem(at: program.deletingLastPathComponent()) }
        let child = try ChildProcess(program.path, [target])
        #expect(child.waitForExit(timeout: 30) == 0)
        func childCall(_ prefix: String) throws -> String {
            let line = try #require(tool.waitForLine { $0.contains("  " + prefix) && Self.columns($0).starts(with: ["mount_api", String(child.pid)]) },
                                    "output: \(tool.outputLines.suffix(20))")
            #expect(Self.columns(line)[4] == String(getpid()), "line \(line)")
            return String(line[line.range(of: "  " + prefix)!.upperBound...])
        }
        let fs = try #require(Int32(try childCall("fsopen(\"tmpfs\", FSOPEN_CLOEXEC) = ")))
        #expect(try childCall("fsconfig(\(fs), FSCONFIG_SET_STRING, \"size\", \"1m\", 0) = ") == "0")
        #expect(try childCall("fsconfig(\(fs), FSCONFIG_CMD_CREATE, \"\", \"\", 0) = ") == "0")
        let mnt = try #require(Int32(try childCall("fsmount(\(fs), FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID) = ")))
        #expect(try childCall("move_mount(\(mnt), \"\", AT_FDCWD, \"\(target)\", MOVE_MOUNT_F_EMPTY_PATH) = ") == "0")
        #expect(try childCall("umount(\"\(target)\", 0x0) = ") == "0")
        #expect(tool.stop() == 0)
    }

    // MARK: - Memory: drsnoop, oomkill

    @Test func drsnoopShowsReclaimInAMemoryCgroup() throws {
        guard let cgroup = try MemoryCgroup.create(label: "drsnoop", limitBytes: 16 << 20) else {
            print("skipped: this kernel has no memory cgroup controller")
            return
        }
        defer { cgroup.remove() }
        let directory = try TestSupport.temporaryDirectory("drsnoop")
        defer { try? FileManager.default.removeItem(at: directory) }
        let flag = directory.appendingPathComponent("go").path
        // Writing 64 MiB through the page cache of a cgroup limited to 16 MiB: the writer reclaims.
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("drsnoop-\(getpid()).data").path
        defer { unlink(output) }
        let child = try Self.waiting(for: flag, then: "echo $$ > \(cgroup.tasksFile) && exec dd if=/dev/zero of=\(output) bs=1M count=64")
        let tool = try ToolProcess("drsnoop", ["--memcg", "-T", "-U", "-v", "-p", String(child.pid)])
        try #require(tool.waitForLine { $0.hasPrefix("TIME(s)") }
            == "TIME(s)       UID   COMM           PID     LAT(ms) PAGES  FREE(KB)", "stderr: \(tool.standardError)")
        FileManager.default.createFile(atPath: flag, contents: nil)
        #expect(child.waitForExit(timeout: 60) == 0)
        try #require(tool.waitForLine { Self.columns($0).count == 7 && Self.columns($0)[3] == String(child.pid) } != nil,
                     "output: \(tool.outputLines)")
        #expect(tool.stop() == 0)
        // Every stall is the writer's; a single one may free no page, so it is the stalls together that reclaim.
        let stalls = tool.outputLines.map(Self.columns).filter { $0.count == 7 && $0[3] == String(child.pid) }
        for columns in stalls {
            #expect(columns[1] == "0" && columns[2] == "dd")
            #expect((Double(columns[4]) ?? -1) >= 0 && Int(columns[5]) != nil && (Int(columns[6]) ?? 0) > 0, "line \(columns)")
        }
        #expect(stalls.contains { (Int($0[5]) ?? 0) > 0 }, "no stall reclaimed a page: \(stalls)")
        #expect(!tool.outputLines.dropFirst().contains { Self.columns($0).count == 7 && Self.columns($0)[3] != String(child.pid) })
    }

    @Test func oomkillShowsAKillInAMemoryCgroup() throws {
        guard let cgroup = try MemoryCgroup.create(label: "oomkill", limitBytes: 8 << 20) else {
            print("skipped: this kernel has no memory cgroup controller")
            return
        }
        defer { cgroup.remove() }
        let directory = try TestSupport.temporaryDirectory("oomkill")
        defer { try? FileManager.default.removeItem(at: directory) }
        let flag = directory.appendingPathComponent("go").path
        // tail keeps a line that never ends: it grows until the cgroup's OOM killer takes it.
        let child = try Self.waiting(for: flag, then: "echo $$ > \(cgroup.tasksFile) && exec tail /dev/zero")
        let tool = try ToolProcess("oomkill", [])
        try #require(tool.waitForLine { $0 == "Tracing OOM kills... Ctrl-C to stop." } != nil, "stderr: \(tool.standardError)")
        FileManager.default.createFile(atPath: flag, contents: nil)
        #expect(child.waitForExit(timeout: 60) == 128 + SIGKILL)
        let line = try #require(tool.waitForLine { $0.contains("OOM kill of PID \(child.pid) ") }, "output: \(tool.outputLines)")
        #expect(line.contains(" Triggered by PID \(child.pid) (\"tail\"), OOM kill of PID \(child.pid) (\"tail\"), "), "line \(line)")
        let pages = line.split(separator: ",").first { $0.hasSuffix(" pages") }.flatMap { Int($0.split(separator: " ").first ?? "") }
        #expect((pages ?? 0) > 0, "line \(line)")
        #expect(line.contains("loadavg: "))
        let index = try #require(tool.outputLines.firstIndex(of: line))
        _ = tool.waitForLine { $0.hasPrefix("  ") }
        let next = tool.outputLines.dropFirst(index + 1).first
        #expect(next == "  Stack trace:" || next == "  Failed to capture stack trace", "output: \(tool.outputLines)")
        #expect(tool.stop() == 0)
    }
}
