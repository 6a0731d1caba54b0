import BCC
import BCCTools
import Foundation
import Testing
import TestSupport

/// bcc's flags of the tools, each run against events the test causes and
/// checked for its effect on what the tool prints.
@Suite(.serialized) struct ToolFlagTests {
    static func columns(_ line: String) -> [String] {
        line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    }

    /// A path no other process opens.
    static func uniquePath(_ label: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(getpid())-\(UUID().uuidString.prefix(8))").path
    }

    /// Runs `tool` with `arguments` and expects it to refuse them with `message` on stderr.
    static func expectRefused(_ tool: String, _ arguments: [String], saying message: String,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        let process = try ToolProcess(tool, arguments)
        #expect(process.waitForExit(timeout: 20) != 0, sourceLocation: sourceLocation)
        #expect(process.standardError.contains(message), "stderr: \(process.standardError)", sourceLocation: sourceLocation)
    }

    // MARK: - argparse's spelling

    @Test func attachedShortOptionValuesAreSplitOff() {
        #expect(AttachedValues.split(["-p181", "-stT", "-L80,81", "-4", "--pid", "7", "-F99"])
                == ["-p", "181", "-stT", "-L", "80,81", "-4", "--pid", "7", "-F", "99"])
        // A command's own arguments stay as they are.
        #expect(AttachedValues.split(["-d5", "--exec", "ls", "-w80"]) == ["-d", "5", "--exec", "ls", "-w80"])
        #expect(AttachedValues.split(["--", "-p1"]) == ["--", "-p1"])
    }

    @Test func toolsTakeAttachedValuesAsBccDoes() throws {
        let path = Self.uniquePath("opensnoop-attached")
        let tool = try ToolProcess("opensnoop", ["-p\(getpid())", "-d30"])
        try #require(tool.waitForLine { $0.hasPrefix("PID") } != nil, "stderr: \(tool.standardError)")
        _ = open(path, O_RDONLY)
        let line = try #require(tool.waitForLine { $0.hasSuffix(" " + path) }, "output: \(tool.outputLines)")
        #expect(Self.columns(line).first == String(getpid()))
        #expect(tool.stop() == 0)
    }

    // MARK: - opensnoop

    @Test func opensnoopFlagFilterKeepsOpensWithThoseFlags() throws {
        let tool = try ToolProcess("opensnoop", ["-p", String(getpid()), "-f", "O_WRONLY", "-f", "O_RDWR", "-e"])
        try #require(tool.waitForLine { $0.hasPrefix("PID") } != nil, "stderr: \(tool.standardError)")
        let path = Self.uniquePath("opensnoop-f")
        close(open(path, O_WRONLY | O_CREAT, 0o600))
        defer { unlink(path) }
        close(open(path, O_RDONLY))
        close(open(path, O_RDWR))
        let readWrite = try #require(tool.waitForLine { $0.hasSuffix(" " + path) && Self.columns($0)[4] == "00000002" })
        #expect(Self.columns(readWrite)[0] == String(getpid()))
        let lines = tool.outputLines.filter { $0.hasSuffix(" " + path) }
        // O_WRONLY|O_CREAT with its mode, then O_RDWR; the read-only open is left out.
        #expect(lines.map { Array(Self.columns($0)[4 ... 5]) } == [["00000101", "0600"], ["00000002", "n/a"]], "\(lines)")
        #expect(tool.stop() == 0)

        try Self.expectRefused("opensnoop", ["-f", "O_NOSUCH"], saying: "Bad flag: O_NOSUCH")
    }

    @Test func opensnoopFullPathPrefixesTheWorkingDirectory() throws {
        let directory = try TestSupport.temporaryDirectory("opensnoop-F")
        defer { try? FileManager.default.removeItem(at: directory) }
        let name = "relative-\(UUID().uuidString.prefix(8))"
        FileManager.default.createFile(atPath: directory.appendingPathComponent(name).path, contents: nil)
        let tool = try ToolProcess("opensnoop", ["-F", "-n", "cat"])
        try #require(tool.waitForLine { $0.hasPrefix("PID") } != nil, "stderr: \(tool.standardError)")
        // cat opens the relative path and is gone before the line prints: the kernel walked its cwd.
        let child = try ChildProcess("/bin/sh", ["-c", "cd '\(directory.path)' && exec /bin/cat \(name)"])
        #expect(child.waitForExit(timeout: 20) == 0)
        let line = try #require(tool.waitForLine { $0.hasSuffix("/" + name) }, "output: \(tool.outputLines)")
        #expect(Self.columns(line).last == directory.resolvingSymlinksInPath().path + "/" + name)
        #expect(Self.columns(line)[0] == String(child.pid))
        // An absolute path prints as it was given.
        #expect(tool.outputLines.contains { Self.columns($0).first == String(child.pid) && $0.hasSuffix(" /etc/ld.so.cache") })
        #expect(tool.stop() == 0)
    }

    @Test func opensnoopExecTracesTheCommandAndStopsWithIt() throws {
        let path = Self.uniquePath("opensnoop-exec")
        let tool = try ToolProcess("opensnoop", ["--exec", "cat", path])
        // The command ran only once tracing started, and the tool ended when it did.
        #expect(tool.waitForExit(timeout: 60) == 0, "stderr: \(tool.standardError)")
        let line = try #require(tool.outputLines.first { $0.hasSuffix(" " + path) }, "output: \(tool.outputLines)")
        #expect(Self.columns(line)[1] == "cat")
        #expect(Self.columns(line)[3] == String(ENOENT))
        // Only the command's own process (from its exec on), not this process's opens.
        #expect(Set(tool.outputLines.dropFirst().map { Self.columns($0)[0] }).count == 1, "output: \(tool.outputLines)")

        try Self.expectRefused("opensnoop", ["-p", "1", "--exec", "true"], saying: "can only use -p or --exec")
    }

    @Test func opensnoopCgroupMapKeepsTheMapsCgroups() throws {
        let (cgroup, map) = try #require(try PinnedIDMap.cgroup(label: "flags"), "needs a cgroup v2 hierarchy")
        defer { map.remove(); _ = rmdir(cgroup) }
        let inside = Self.uniquePath("opensnoop-cgroup-in"), outside = Self.uniquePath("opensnoop-cgroup-out")
        let done = Self.uniquePath("opensnoop-cgroup-done")
        FileManager.default.createFile(atPath: inside, contents: nil)
        defer { unlink(done); unlink(inside) }
        let tool = try ToolProcess("opensnoop", ["--cgroupmap", map.path])
        try #require(tool.waitForLine { $0.hasPrefix("PID") } != nil, "stderr: \(tool.standardError)")
        // This process (outside the cgroup) opens first; a child moved into it opens next.
        _ = open(outside, O_RDONLY)
        let child = try ChildProcess("/bin/sh", ["-c", "echo $$ > \(cgroup)/cgroup.procs && : < \(inside); : > \(done)"],
                                     stderr: "/dev/null")
        #expect(child.waitForExit(timeout: 20) == 0)
        let line = try #require(tool.waitForLine { $0.hasSuffix(" " + inside) }, "output: \(tool.outputLines)")
        #expect(Self.columns(line)[0] == String(child.pid))
        #expect(tool.stop() == 0)
        #expect(!tool.outputLines.contains { $0.hasSuffix(" " + outside) })
        #expect(tool.outputLines.allSatisfy { $0.hasPrefix("PID") || Self.columns($0)[0] == String(child.pid) })
    }

    @Test func opensnoopMountNamespaceMapKeepsTheMapsNamespaces() throws {
        let map = try PinnedIDMap(label: "mntnsmap", ids: [try PinnedIDMap.mountNamespace(of: "self")], valueSize: 4)
        defer { map.remove() }
        let inside = Self.uniquePath("opensnoop-mntns-in"), outside = Self.uniquePath("opensnoop-mntns-out")
        let tool = try ToolProcess("opensnoop", ["--mntnsmap", map.path])
        try #require(tool.waitForLine { $0.hasPrefix("PID") } != nil, "stderr: \(tool.standardError)")
        // A child in a mount namespace of its own opens first; this process (in the map's) next.
        let child = try ChildProcess("/usr/bin/unshare", ["-m", "/bin/sh", "-c", ": < \(outside)"], stderr: "/dev/null")
        #expect(child.waitForExit(timeout: 20) != nil)
        _ = open(inside, O_RDONLY)
        let line = try #require(tool.waitForLine { $0.hasSuffix(" " + inside) }, "output: \(tool.outputLines)")
        #expect(Self.columns(line)[0] == String(getpid()))
        #expect(tool.stop() == 0)
        #expect(!tool.outputLines.contains { $0.hasSuffix(" " + outside) })

        try Self.expectRefused("opensnoop", ["--mntnsmap", "/sys/fs/bpf/swiftbcc-no-such-map"], saying: "no BPF map is pinned at '/sys/fs/bpf/swiftbcc-no-such-map'")
    }

    // MARK: - execsnoop and runqlat

    @Test func execsnoopParentFilterAndCPUColumn() throws {
        let token = "swift-bcc-ppid-\(UUID().uuidString.prefix(8))"
        let flag = Self.uniquePath("execsnoop-P")
        defer { unlink(flag) }
        // Two shells exec echo: only the one whose pid -P names is traced.
        let parent = try ChildProcess("/bin/sh", ["-c", "while [ ! -e \(flag) ]; do :; done; /bin/echo \(token) kept; sleep 1"])
        let other = try ChildProcess("/bin/sh", ["-c", "while [ ! -e \(flag) ]; do :; done; /bin/echo \(token) other; sleep 1"])
        let tool = try ToolProcess("execsnoop", ["-C", "-P", String(parent.pid)])
        let header = tool.waitForLine { $0.hasPrefix("COMM") }
        try #require(header == "COMM             PID     PPID    CPU  RET ARGS", "stderr: \(tool.standardError)")
        FileManager.default.createFile(atPath: flag, contents: nil)
        let line = try #require(tool.waitForLine { $0.hasSuffix("/bin/echo \(token) kept") }, "output: \(tool.outputLines)")
        let columns = Self.columns(line)
        #expect(columns[0] == "echo")
        #expect(columns[2] == String(parent.pid))
        let cpus = sysconf(Int32(_SC_NPROCESSORS_CONF))
        #expect(Int(columns[3]).map { $0 >= 0 && $0 < cpus } == true, "line: \(line)")
        #expect(columns[4] == "0")
        _ = other.waitForExit(timeout: 10)
        #expect(tool.stop() == 0)
        #expect(!tool.outputLines.contains { $0.hasSuffix("\(token) other") }, "output: \(tool.outputLines)")
    }

    @Test func execsnoopCgroupMapKeepsTheMapsCgroups() throws {
        let (cgroup, map) = try #require(try PinnedIDMap.cgroup(label: "execsnoop"), "needs a cgroup v2 hierarchy")
        defer { map.remove(); _ = rmdir(cgroup) }
        let token = "swift-bcc-cgroup-\(UUID().uuidString.prefix(8))"
        let tool = try ToolProcess("execsnoop", ["--cgroupmap", map.path])
        try #require(tool.waitForLine { $0.hasPrefix("COMM") } != nil, "stderr: \(tool.standardError)")
        try ChildProcess.run("/bin/echo", [token, "outside"])
        let child = try ChildProcess("/bin/sh", ["-c", "echo $$ > \(cgroup)/cgroup.procs && /bin/echo \(token) inside"])
        #expect(child.waitForExit(timeout: 20) == 0)
        let line = try #require(tool.waitForLine { $0.hasSuffix("\(token) inside") }, "output: \(tool.outputLines)")
        #expect(Self.columns(line)[2] == String(child.pid))
        #expect(tool.stop() == 0)
        #expect(!tool.outputLines.contains { $0.hasSuffix("\(token) outside") }, "output: \(tool.outputLines)")
    }

    @Test func runqlatHistogramPerPIDNamespace() throws {
        // A shell in a PID namespace of its own, waking up every few milliseconds.
        let child = try ChildProcess("/usr/bin/unshare", ["-p", "-f", "--kill-child", "/bin/sh", "-c", "while :; do sleep 0.005; done"])
        Thread.sleep(forTimeInterval: 0.2)
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(child.pid)/ns/pid_for_children")
        let theirs = String(link.dropFirst("pid:[".count).dropLast())
        let ours = String(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid").dropFirst("pid:[".count).dropLast())
        #expect(theirs != ours)
        let tool = try ToolProcess("runqlat", ["--pidnss", "-d", "2"])
        #expect(tool.waitForExit(timeout: 60) == 0, "stderr: \(tool.standardError)")
        let lines = tool.outputLines
        #expect(lines.contains("pidns = \(theirs)"), "output: \(lines)")
        #expect(lines.contains("pidns = \(ours)"), "output: \(lines)")
        kill(child.pid, SIGKILL)

        try Self.expectRefused("runqlat", ["--pidnss", "-P"], saying: "-P, -L and --pidnss cannot be used together")
    }

    // MARK: - biolatency

    @Test func jsonHistogramHasBccsKeysAndIntervals() {
        let line = Histogram.json([1: 3, 3: 1, 0: 9], valType: "usecs", time: "2026-01-02 03:04:05", section: ("disk", "vda"))
        #expect(line == #"{"ts": "2026-01-02 03:04:05", "val_type": "usecs", "data": [{"interval-start": 0, "interval-end": 1, "count": 3}, "#
            + #"{"interval-start": 2, "interval-end": 3, "count": 0}, {"interval-start": 4, "interval-end": 7, "count": 1}], "disk": "vda"}"#)
        #expect(Histogram.json([:], valType: "msecs", time: "t") == #"{"ts": "t", "val_type": "msecs", "data": []}"#)
    }

    @Test func biolatencyJSONPerDisk() throws {
        let file = try DirectIOFile()
        let disk = try #require(file.diskName)
        let tool = try ToolProcess("biolatency", ["-j", "-D", "3", "1"])
        // -j prints nothing until its summary: read until it does.
        while tool.waitForExit(timeout: 0.3) == nil { _ = try file.readDirect() }
        #expect(tool.waitForExit(timeout: 1) == 0, "stderr: \(tool.standardError)")
        let objects = tool.outputLines.filter { $0.hasPrefix("{") }.compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
        let mine = try #require(objects.first { $0["disk"] as? String == disk }, "output: \(tool.outputLines)")
        #expect(mine["val_type"] as? String == "usecs")
        let data = try #require(mine["data"] as? [[String: Any]])
        #expect(data.first?["interval-start"] as? Int == 0)
        #expect(data.compactMap { $0["count"] as? Int }.reduce(0, +) >= file.blocks)
        #expect(!tool.outputLines.contains { $0.hasPrefix("Tracing") })
    }

    // MARK: - syscount

    @Test func syscountExecCountsTheCommandsCallsUntilItExits() throws {
        // The shell forks and waits for 20 children: 20 wait4 calls of its own at least.
        let tool = try ToolProcess("syscount", ["--exec", "/bin/sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do /bin/true; done"])
        #expect(tool.waitForExit(timeout: 60) == 0, "stderr: \(tool.standardError)")
        let lines = tool.outputLines
        let header = try #require(lines.firstIndex(of: "SYSCALL                   COUNT"), "output: \(lines)")
        let rows = Dictionary(lines[(header + 1)...].map { Self.columns($0) }.filter { $0.count == 2 }
            .compactMap { row in Int(row[1]).map { (row[0], $0) } }, uniquingKeysWith: +)
        #expect((rows["wait4"] ?? 0) >= 20 && (rows["wait4"] ?? 0) < 100, "rows \(rows)")
        #expect(lines.last == "Detaching...")

        try Self.expectRefused("syscount", ["-p", "1", "--exec", "true"], saying: "can only use -p or --exec")
    }

    // MARK: - mountsnoop and profile

    @Test func mountsnoopMountNamespaceMapKeepsTheMapsNamespaces() throws {
        let map = try PinnedIDMap(label: "mntnsmap", ids: [try PinnedIDMap.mountNamespace(of: "self")], valueSize: 4)
        defer { map.remove() }
        let ours = try TestSupport.temporaryDirectory("mountsnoop-ours")
        let theirs = try TestSupport.temporaryDirectory("mountsnoop-theirs")
        defer {
            try? FileManager.default.removeItem(at: ours)
            try? FileManager.default.removeItem(at: theirs)
        }
        let tool = try ToolProcess("mountsnoop", ["--mntnsmap", map.path])
        try #require(tool.waitForLine { $0.hasPrefix("COMM") } != nil, "stderr: \(tool.standardError)")
        // A child in a mount namespace of its own mounts first, then this process.
        let child = try ChildProcess("/usr/bin/unshare", ["-m", "/bin/sh", "-c",
                                                          "mount -t tmpfs swiftbcc-theirs \(theirs.path) && umount \(theirs.path)"])
        #expect(child.waitForExit(timeout: 20) == 0)
        defer { umount2(ours.path, Int32(MNT_DETACH)) }
        #expect(mount("swiftbcc-ours", ours.path, "tmpfs", 0, "size=1m") == 0, "errno \(errno)")
        #expect(umount2(ours.path, 0) == 0)
        let line = try #require(tool.waitForLine { $0.contains("mount(\"swiftbcc-ours\"") }, "output: \(tool.outputLines)")
        #expect(Self.columns(line)[1] == String(getpid()))
        #expect(tool.stop() == 0)
        #expect(!tool.outputLines.contains { $0.contains(theirs.path) }, "output: \(tool.outputLines)")
    }

    @Test func profileCgroupMapSamplesTheMapsCgroupsOnly() throws {
        let (cgroup, map) = try #require(try PinnedIDMap.cgroup(label: "profile"), "needs a cgroup v2 hierarchy")
        defer { map.remove(); _ = rmdir(cgroup) }
        let inside = try ChildProcess("/bin/sh", ["-c", "echo $$ > \(cgroup)/cgroup.procs && while :; do :; done"])
        let outside = try ChildProcess("/bin/sh", ["-c", "while :; do :; done"])
        defer {
            kill(inside.pid, SIGKILL)
            kill(outside.pid, SIGKILL)
            _ = inside.waitForExit(timeout: 10)
        }
        let tool = try ToolProcess("profile", ["-U", "--cgroupmap", map.path, "2"])
        #expect(tool.waitForExit(timeout: 60) == 0, "stderr: \(tool.standardError)")
        let lines = tool.outputLines
        #expect(lines.contains("    -                sh (\(inside.pid))"), "output: \(lines)")
        #expect(!lines.contains { $0.hasSuffix(" (\(outside.pid))") }, "output: \(lines)")
    }

    // MARK: - trace

    @Test func traceAggregatesAStrcmpFilteredProbe() throws {
        let kept = Self.uniquePath("trace-A-kept"), other = Self.uniquePath("trace-A-other")
        for path in [kept, other] { FileManager.default.createFile(atPath: path, contents: nil) }
        defer { unlink(kept); unlink(other) }
        let flag = Self.uniquePath("trace-A-go")
        defer { unlink(flag) }
        // One shell opens `kept` three times and `other` once: three identical lines, counted.
        let child = try ChildProcess("/bin/sh", ["-c", "while [ ! -e \(flag) ]; do sleep 0.02; done; "
                                                   + ": < \(other); : < \(kept); : < \(kept); : < \(kept); sleep 5"])
        let tool = try ToolProcess("trace", ["-A", "-M", "3", "-p", String(child.pid),
                                             "t:syscalls:sys_enter_openat (STRCMP(\"\(kept)\", args->filename)) \"%s\", args->filename"])
        try #require(tool.waitForLine { $0.hasPrefix("PID") } != nil, "stderr: \(tool.standardError)")
        FileManager.default.createFile(atPath: flag, contents: nil)
        // -M 3 ends it; -A printed the count instead of the lines.
        #expect(tool.waitForExit(timeout: 30) == 0, "stderr: \(tool.standardError)")
        let lines = tool.outputLines
        let pid = String(child.pid)
        #expect(lines.dropFirst() == ["\(CText.left(pid, 7)) \(CText.left(pid, 7)) sh              sys_enter_openat \(kept)",
                                      "-->COUNT 3", ""], "output: \(lines)")

        try Self.expectRefused("trace", ["-A", "t:syscalls:sys_enter_openat"], saying: "-M/--max-events must be specified with -A/--aggregate")
    }

    @Test func traceBinaryCompareAndIncludeAndEBPF() throws {
        let directory = try TestSupport.temporaryDirectory("trace-I")
        defer { try? FileManager.default.removeItem(at: directory) }
        let token = Int32.random(in: 100_000 ..< 1_000_000_000)
        let header = directory.appendingPathComponent("magic.h").path
        try "#define SWIFTBCC_MAGIC \(token)\n".write(toFile: header, atomically: true, encoding: .utf8)
        // A header of the user's (-I) defines what the filter compares with.
        let tool = try ToolProcess("trace", ["-I", header, "-p", String(getpid()),
                                             "t:syscalls:sys_enter_getpgid (args->pid == SWIFTBCC_MAGIC) \"%d\", args->pid"])
        try #require(tool.waitForLine { $0.hasPrefix("PID") } != nil, "stderr: \(tool.standardError)")
        _ = getpgid(token - 1)
        _ = getpgid(token)
        let line = try #require(tool.waitForLine { $0.hasSuffix(" \(token)") }, "output: \(tool.outputLines)")
        #expect(Self.columns(line).first == String(getpid()))
        #expect(tool.stop() == 0)
        #expect(tool.outputLines.count == 2, "output: \(tool.outputLines)")

        // -B: the literal's inside initializes the needle; --ebpf prints the program and exits.
        let binary = try ToolProcess("trace", ["-B", "--ebpf", "r:c:getenv (STRCMP(\"{0x48,0x4f}\", arg1))"])
        #expect(binary.waitForExit(timeout: 30) == 0, "stderr: \(binary.standardError)")
        #expect(binary.outputLines.contains { $0.contains("char needle[] = {0x48,0x4f};") }, "output: \(binary.outputLines)")
        #expect(binary.outputLines.contains { $0.contains("streq_0(\"{0x48,0x4f}\", (uintptr_t)(PT_REGS_PARM1(ctx)))") })
    }

    @Test func traceCgroupPathKeepsTheCgroupsTasks() throws {
        let root = try #require(PinnedIDMap.cgroup2Root, "needs a cgroup v2 hierarchy")
        let cgroup = "\(root)/swiftbcc-trace-\(getpid())"
        try FileManager.default.createDirectory(atPath: cgroup, withIntermediateDirectories: false)
        defer { _ = rmdir(cgroup) }
        let inside = Self.uniquePath("trace-c-in"), outside = Self.uniquePath("trace-c-out")
        FileManager.default.createFile(atPath: inside, contents: nil)
        defer { unlink(inside) }
        let tool = try ToolProcess("trace", ["-c", cgroup, "t:syscalls:sys_enter_openat \"%s\", args->filename"])
        try #require(tool.waitForLine { $0.hasPrefix("PID") } != nil, "stderr: \(tool.standardError)")
        // This process (outside the cgroup) opens first, then a shell moved into it.
        _ = open(outside, O_RDONLY)
        let child = try ChildProcess("/bin/sh", ["-c", "echo $$ > \(cgroup)/cgroup.procs && : < \(inside)"])
        #expect(child.waitForExit(timeout: 20) == 0)
        let line = try #require(tool.waitForLine { $0.hasSuffix(" " + inside) }, "output: \(tool.outputLines)")
        #expect(Self.columns(line).first == String(child.pid))
        #expect(tool.stop() == 0)
        #expect(tool.outputLines.allSatisfy { $0.hasPrefix("PID") || Self.columns($0).first == String(child.pid) },
                "output: \(tool.outputLines)")

        try Self.expectRefused("trace", ["-c", "/sys/fs/cgroup/no-such-cgroup", "t:syscalls:sys_enter_getpgid"], saying: "-c: cannot open cgroup '/sys/fs/cgroup/no-such-cgroup'")
    }

    @Test func traceSymbolFilesNameBuildIDStacks() throws {
        let libc = try BPF.findBinary("c", pid: nil)
        let me = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let tool = try ToolProcess("trace", ["-U", "-M", "1", "-p", String(getpid()), "-s", "\(libc),\(me)", "c:getpgid (arg1 == 424242)"])
        try #require(tool.waitForLine { $0.hasPrefix("PID") } != nil, "stderr: \(tool.standardError)")
        #expect(tool.outputLines.first == "Note: Kernel bpf will report stack map with ip/build_id")
        // -M 1: the first call ends it.
        let deadline = Date().addingTimeInterval(30)
        while tool.waitForExit(timeout: 0.2) == nil && Date() < deadline { _ = getpgid(424_242) }
        #expect(tool.waitForExit(timeout: 5) == 0, "stderr: \(tool.standardError)")
        let lines = tool.outputLines
        // The frames named from the files with their build ids: libc's and this test's.
        let base = libc.split(separator: "/").last.map(String.init) ?? libc
        #expect(lines.contains { $0.hasPrefix("        getpgid+0x") && $0.hasSuffix(" [\(base)]") }, "output: \(lines)")
        #expect(lines.contains { $0.contains("traceSymbolFilesNameBuildIDStacks") }, "output: \(lines)")

        try Self.expectRefused("trace", ["-U", "-s", "/nonexistent-swiftbcc.so", "c:getpgid"], saying: "/nonexistent-swiftbcc.so")
    }

    // MARK: - funclatency

    @Test func funclatencyLevelTimesEachNestedCall() throws {
        // ol_nested(2) recurses to ol_nested(0): three calls, each returning inside the one before.
        let nested = try OneLinerToolTests.run("funclatency", ["-l", "3", "-u", "-p", "PID", "TARGET:ol_nested"],
                                               target: try OneLinerTarget())
        #expect(nested.first { $0.hasPrefix("avg = ") }?.hasSuffix("count: 3") == true, "\(nested)")
        // Two levels: the deepest call is not timed; the two outer ones are.
        let two = try OneLinerToolTests.run("funclatency", ["-l", "2", "-u", "-p", "PID", "TARGET:ol_nested"],
                                            target: try OneLinerTarget())
        #expect(two.first { $0.hasPrefix("avg = ") }?.hasSuffix("count: 2") == true, "\(two)")
        // Without -l each entry replaces the outer one's start, as in bcc: one call timed.
        let flat = try OneLinerToolTests.run("funclatency", ["-u", "-p", "PID", "TARGET:ol_nested"], target: try OneLinerTarget())
        #expect(flat.first { $0.hasPrefix("avg = ") }?.hasSuffix("count: 1") == true, "\(flat)")
    }

    // MARK: - argdist and ucalls

    @Test func argdistIncludesTheUsersHeader() throws {
        let directory = try TestSupport.temporaryDirectory("argdist-I")
        defer { try? FileManager.default.removeItem(at: directory) }
        let token = Int32.random(in: 100_000 ..< 1_000_000_000)
        try "#define SWIFTBCC_MAGIC \(token)\n".write(to: directory.appendingPathComponent("magic.h"), atomically: true, encoding: .utf8)
        // A relative path is made absolute against the working directory, as bcc does.
        let tool = try ToolProcess("argdist", ["-I", "./magic.h", "-i", "1", "-n", "3", "-p", String(getpid()),
                                               "-C", "t:syscalls:sys_enter_getpgid():int:args->pid:args->pid==SWIFTBCC_MAGIC"],
                                   workingDirectory: directory.path)
        var seen: String?
        let deadline = Date().addingTimeInterval(30)
        while seen == nil && Date() < deadline && tool.waitForExit(timeout: 0.2) == nil {
            _ = getpgid(token)
            _ = getpgid(token + 1)
            seen = tool.outputLines.first { $0.contains("args->pid = \(token)") }
        }
        #expect(seen != nil, "output: \(tool.outputLines) stderr: \(tool.standardError)")
        #expect(!tool.outputLines.contains { $0.contains("args->pid = \(token + 1)") })
        _ = tool.stop()
    }

    @Test func ucallsCountsTheProcesssSyscallsWithoutALanguage() throws {
        let child = try ChildProcess("/bin/sh", ["-c", "while :; do sleep 0.02; done"])
        let tool = try ToolProcess("ucalls", ["-S", "-d", "2", String(child.pid)])
        #expect(tool.waitForExit(timeout: 60) == 0, "stderr: \(tool.standardError)")
        let lines = tool.outputLines
        #expect(lines.first == "Attached kernel tracepoints for syscall tracing.", "output: \(lines)")
        #expect(lines.contains("Tracing calls in process \(child.pid) (language: none)... Ctrl-C to quit."))
        let wait4 = try #require(lines.first { $0.hasPrefix("wait4 ") }, "output: \(lines)")
        #expect((Int(Self.columns(wait4)[1]) ?? 0) >= 10, "row: \(wait4)")

        try Self.expectRefused("ucalls", ["-l", "none", String(child.pid)], saying: "or use -S to trace syscalls")
    }

    // MARK: - memleak

    @Test func memleakTracePrintsEachAllocation() throws {
        let size = Int.random(in: 200_001 ..< 300_000)
        let tool = try ToolProcess("memleak", ["-t", "-p", String(getpid())])
        try #require(tool.waitForLine { $0 == "Attaching to pid \(getpid()), Ctrl+C to quit." } != nil, "stderr: \(tool.standardError)")
        // Allocate until a line shows (the probes attach after the banner).
        var line: String?
        let deadline = Date().addingTimeInterval(30)
        while line == nil && Date() < deadline {
            free(malloc(size))
            line = tool.waitForLine(timeout: 0.3) { $0.contains("alloc entered, size = \(size)") }
        }
        #expect(line != nil, "output: \(tool.outputLines.suffix(20))")
        #expect(tool.waitForLine(timeout: 5) { $0.contains("free entered, address = ") } != nil)
        #expect(tool.stop() == 0)
    }

    @Test func memleakCommandIsTracedFromItsStart() throws {
        let tool = try ToolProcess("memleak", ["-c", "/usr/bin/sleep 3", "-a", "1", "2"])
        #expect(tool.waitForExit(timeout: 60) == 0, "stderr: \(tool.standardError)")
        let lines = tool.outputLines
        #expect(lines.first == "Executing '/usr/bin/sleep 3' and tracing the resulting process.", "output: \(lines)")
        let attaching = try #require(lines.first { $0.hasPrefix("Attaching to pid ") }, "output: \(lines)")
        let pid = String(attaching.dropFirst("Attaching to pid ".count).prefix { $0.isNumber })
        #expect(Int32(pid).map { $0 > 0 && $0 != getpid() } == true)
        // sleep's start-up allocations (its locale) are outstanding while it sleeps; -a lists them.
        #expect(lines.contains { $0.contains(" bytes in ") && $0.contains(" allocations from stack") }, "output: \(lines)")
        #expect(lines.contains { $0.hasPrefix("\taddr = ") }, "output: \(lines)")
    }

    @Test func memleakPerCPUShowsPercpuAllocations() throws {
        let tool = try ToolProcess("memleak", ["--percpu", "-T", "100", "3", "1"])
        try #require(tool.waitForLine { $0 == "Attaching to kernel allocators, Ctrl+C to quit." } != nil,
                     "stderr: \(tool.standardError)")
        // A per-CPU array map's memory comes from the percpu allocator, and stays while the map lives.
        Thread.sleep(forTimeInterval: 0.5)
        let b = try BPF(text: "BPF_PERCPU_ARRAY(swiftbcc_percpu, u64, 512);")
        defer { b.close() }
        #expect(tool.waitForExit(timeout: 60) == 0, "stderr: \(tool.standardError)")
        let lines = tool.outputLines
        #expect(lines.contains { $0.contains("pcpu_alloc") }, "output: \(lines)")
        #expect(lines.contains { $0.contains("bpf_map_alloc_percpu") || $0.contains("array_map_alloc") }, "output: \(lines)")
    }

    // MARK: - Network tools

    @Test func tcpconnectCgroupMapKeepsTheMapsCgroups() throws {
        let (cgroup, map) = try #require(try PinnedIDMap.cgroup(label: "tcpconnect"), "needs a cgroup v2 hierarchy")
        defer { map.remove(); _ = rmdir(cgroup) }
        let tcp = LoopbackTCP(family: AF_INET)
        let (listener, port) = try tcp.listen()
        defer { close(listener) }
        let tool = try ToolProcess("tcpconnect", ["--cgroupmap", map.path, "-P", String(port), "--duration", "30"])
        try #require(tool.waitForLine { $0.hasPrefix("PID") } != nil, "stderr: \(tool.standardError)")
        // This process (outside the cgroup) connects first, then a shell moved into it.
        let outside = try tcp.connect(port: port)
        close(outside.descriptor)
        let child = try ChildProcess("/usr/bin/bash", ["-c", "echo $$ > \(cgroup)/cgroup.procs && exec 3<>/dev/tcp/127.0.0.1/\(port)"])
        #expect(child.waitForExit(timeout: 20) == 0)
        let line = try #require(tool.waitForLine { Self.columns($0).last == String(port) }, "output: \(tool.outputLines)")
        // PID COMM IP SADDR DADDR DPORT
        #expect(Self.columns(line) == [String(child.pid), "bash", "4", "127.0.0.1", "127.0.0.1", String(port)])
        #expect(tool.stop() == 0)
        #expect(tool.outputLines.filter { Self.columns($0).last == String(port) }.count == 1, "output: \(tool.outputLines)")
    }

    @Test func tcpacceptMountNamespaceMapKeepsTheMapsNamespaces() throws {
        let mine = try PinnedIDMap(label: "mntns-mine", ids: [try PinnedIDMap.mountNamespace(of: "self")], valueSize: 4)
        defer { mine.remove() }
        let elsewhere = try PinnedIDMap(label: "mntns-other", ids: [1], valueSize: 4)
        defer { elsewhere.remove() }
        let tcp = LoopbackTCP(family: AF_INET)
        let (listener, port) = try tcp.listen()
        defer { close(listener) }
        let kept = try ToolProcess("tcpaccept", ["--mntnsmap", mine.path, "-P", String(port)])
        let left = try ToolProcess("tcpaccept", ["--mntnsmap", elsewhere.path, "-P", String(port)])
        for tool in [kept, left] {
            try #require(tool.waitForLine { $0.hasPrefix("PID") } != nil, "stderr: \(tool.standardError)")
        }
        let client = try tcp.connect(port: port)
        close(accept(listener, nil, nil))
        close(client.descriptor)
        let line = try #require(kept.waitForLine { Self.columns($0).last == String(port) }, "output: \(kept.outputLines)")
        #expect(Self.columns(line).first == String(getpid()))
        #expect(kept.stop() == 0)
        #expect(left.stop() == 0)
        #expect(left.outputLines.count == 1, "output: \(left.outputLines)")
    }

    @Test func tcpconnectDNSNeedsKprobesAndDurationIsLong() throws {
        let dns = try ToolProcess("tcpconnect", ["-d"])
        #expect(dns.waitForExit(timeout: 60) != 0)
        if !FileManager.default.fileExists(atPath: "/sys/bus/event_source/devices/kprobe") {
            #expect(dns.standardError.contains("kprobes is not supported by this kernel"), "stderr: \(dns.standardError)")
        }
        try Self.expectRefused("tcpconnect", ["-d", "-c"], saying: "you may not specify -d/--dns with -c/--count")
        let timed = try ToolProcess("tcpconnect", ["--duration", "1"])
        #expect(timed.waitForExit(timeout: 60) == 0, "stderr: \(timed.standardError)")
    }

    @Test func tcpdropNetworkNamespaceFilters() throws {
        let mine = try ToolProcess("tcpdrop", ["--pid-netns", String(getpid())])
        let other = try ToolProcess("tcpdrop", ["--netns-id", "1"])
        for tool in [mine, other] {
            try #require(tool.waitForLine { $0.hasPrefix("TIME     PID") } != nil, "stderr: \(tool.standardError)")
        }
        let tcp = LoopbackTCP(family: AF_INET)
        let (listener, port) = try tcp.listen(dropAll: true)
        defer { close(listener) }
        let client = try tcp.connect(port: port, blocking: false)
        defer { close(client.descriptor) }
        let remote = "127.0.0.1:\(port)"
        #expect(mine.waitForLine { Self.columns($0).contains(remote) } != nil, "output: \(mine.outputLines)")
        #expect(mine.stop() == 0)
        #expect(other.stop() == 0)
        #expect(!other.outputLines.contains { Self.columns($0).contains(remote) }, "output: \(other.outputLines)")

        try Self.expectRefused("tcpdrop", ["--netns-id", "1", "--pid-netns", "1"], saying: "--pid-netns and --netns-id not allowed together")
    }

    @Test func tcpstatesJournalLogsEachChange() throws {
        let journal = SystemdJournalListener.start()
        defer { journal?.remove() }
        let tcp = LoopbackTCP(family: AF_INET)
        let (listener, port) = try tcp.listen()
        defer { close(listener) }
        let tool = try ToolProcess("tcpstates", ["-Y", "-D", String(port)])
        try #require(tool.waitForLine { $0.hasPrefix("SKADDR") } != nil, "stderr: \(tool.standardError)")
        let client = try tcp.connect(port: port)
        defer { close(client.descriptor) }
        try #require(tool.waitForLine { $0.contains("SYN_SENT    -> ESTABLISHED") } != nil, "output: \(tool.outputLines)")
        let fields: [String: String]
        if let journal {
            fields = try #require(journal.receive { $0["OBJECT_TCP_NEW_STATE"] == "ESTABLISHED" })
        } else {
            // journald runs here: read the entry back.
            let result = try TestSupport.run("/usr/bin/journalctl", ["-o", "export", "SYSLOG_IDENTIFIER=tcpstates",
                                                                      "OBJECT_TCP_SOURCE_PORT=\(client.port)",
                                                                      "OBJECT_TCP_NEW_STATE=ESTABLISHED"])
            fields = Dictionary(result.stdout.split(separator: "\n").compactMap { line in
                line.firstIndex(of: "=").map { (String(line[..<$0]), String(line[line.index(after: $0)...])) }
            }, uniquingKeysWith: { $1 })
        }
        #expect(fields["SYSLOG_IDENTIFIER"] == "tcpstates")
        #expect(fields["PRIORITY"] == "5")
        #expect(fields["OBJECT_PID"] == String(getpid()))
        #expect(fields["OBJECT_IPV4_SOURCE_ADDRESS"] == "127.0.0.1")
        #expect(fields["OBJECT_TCP_SOURCE_PORT"] == String(client.port))
        #expect(fields["OBJECT_TCP_DESTINATION_PORT"] == String(port))
        #expect(fields["OBJECT_TCP_OLD_STATE"] == "SYN_SENT")
        #expect(fields["MESSAGE"]?.hasSuffix("127.0.0.1 \(client.port) → 127.0.0.1 \(port) SYN_SENT → ESTABLISHED") == true,
                "\(fields)")
        #expect(tool.stop() == 0)

        try Self.expectRefused("tcpstates", ["-Y", "-j"], saying: "-Y and -j cannot be combined")
    }
}

/// A datagram socket at journald's path, for a machine where journald does
/// not run: it receives what the tools log with the native protocol.
final class SystemdJournalListener {
    private let descriptor: Int32
    private let madeDirectory: Bool

    /// Listens at /run/systemd/journal/socket, or nil when journald's socket is there.
    static func start() -> SystemdJournalListener? {
        let path = "/run/systemd/journal/socket"
        if FileManager.default.fileExists(atPath: path) { return nil }
        let madeDirectory = !FileManager.default.fileExists(atPath: "/run/systemd/journal")
        try? FileManager.default.createDirectory(atPath: "/run/systemd/journal", withIntermediateDirectories: true)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return SystemdJournalListener(descriptor: fd, madeDirectory: madeDirectory)
    }

    private init(descriptor: Int32, madeDirectory: Bool) {
        self.descriptor = descriptor
        self.madeDirectory = madeDirectory
    }

    /// The first entry (its FIELD=value lines) within 20 seconds that satisfies `predicate`.
    func receive(where predicate: ([String: String]) -> Bool) -> [String: String]? {
        let deadline = Date().addingTimeInterval(20)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { continue }
            let text = String(decoding: buffer[0 ..< count], as: UTF8.self)
            let fields = Dictionary(text.split(separator: "\n").compactMap { line in
                line.firstIndex(of: "=").map { (String(line[..<$0]), String(line[line.index(after: $0)...])) }
            }, uniquingKeysWith: { $1 })
            if predicate(fields) { return fields }
        }
        return nil
    }

    /// Closes and removes the socket (and the directory when it made it).
    func remove() {
        close(descriptor)
        unlink("/run/systemd/journal/socket")
        if madeDirectory { rmdir("/run/systemd/journal") }
    }
}
