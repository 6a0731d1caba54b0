// ebpf-test-helper: runs EBPF scenarios that need a process of their own.
//
//   ebpf-test-helper unprivileged   drop root, try to create a map and load a
//                                   program, print the errors (exit 0 when both
//                                   are BPFError.permissionDenied)
//   ebpf-test-helper fd-leak        create and close maps and programs in a
//                                   loop; print the open descriptor counts
//                                   before and after (exit 0 when equal)
//   ebpf-test-helper object-fd-leak GOOD.o BAD.o...
//                                   load GOOD.o (it must load) and each BAD.o
//                                   (they must fail) in a loop; print the
//                                   descriptor counts (exit 0 when equal)
//   ebpf-test-helper buffer-leak    the same for ring buffer and perf buffer
//                                   readers, and their mappings
//   ebpf-test-helper attach-leak UPROBE_TARGET
//                                   attach and detach every link kind in a
//                                   loop; descriptor counts and uprobe_events
//   ebpf-test-helper tracefs-mount  (under unshare -m) unmount tracefs; finding
//                                   it must mount it at /sys/kernel/tracing
//   ebpf-test-helper tracefs-unprivileged
//                                   (under unshare -m) unmount tracefs, drop
//                                   root; the error must say how to mount it
//
// The EBPF tests spawn it: dropping privileges and counting /proc/self/fd are
// per-process, and the test runner runs tests in parallel threads.
import BPFObject
import EBPF
import Glibc

func openDescriptorCount() -> Int {
    guard let directory = opendir("/proc/self/fd") else { return -1 }
    defer { closedir(directory) }
    var count = 0
    while readdir(directory) != nil { count += 1 }
    return count  // includes ".", ".." and the directory's own descriptor, the same before and after
}

func dropPrivileges() {
    let nobody: UInt32 = 65534
    guard setgroups(0, nil) == 0, setgid(nobody) == 0, setuid(nobody) == 0 else {
        print("could not drop privileges: errno \(errno)")
        exit(3)
    }
}

func isPermissionDenied(_ body: () throws -> Void) -> Bool {
    do {
        try body()
        print("succeeded without privileges")
        return false
    } catch let error as BPFError {
        print(error)
        if case .permissionDenied = error { return true }
        return false
    } catch {
        print("unexpected error: \(error)")
        return false
    }
}

func leakLoop() throws {
    let code: [Instruction] = [.mov(.r0, 1), .exit()]
    for round in 0..<50 {
        let map = try Map(type: .hash, name: "leak_map", keySize: 4, valueSize: 4, maxEntries: 8)
        try map.update(UInt32(round), UInt32(round))
        let program = try Program(type: .socketFilter, instructions: Instruction.loadMapFD(.r1, map.fd.rawValue) + code,
                                  license: "GPL", name: "leak_prog")
        _ = try program.testRun(data: [UInt8](repeating: 0, count: 64))
        if round % 2 == 0 {
            // Half the rounds close explicitly (then again: idempotent), half rely on deinit.
            program.close()
            map.close()
            map.close()
        }
    }
    // Failed creations must not leak either.
    for _ in 0..<10 {
        _ = try? Program(type: .socketFilter, instructions: [.exit()], license: "GPL", name: "leak_bad")
        _ = try? Map(type: .hash, name: "leak_bad", keySize: 4, valueSize: 4, maxEntries: 0)
    }
}

/// Loads `good` repeatedly (closing half explicitly, leaving half to deinit)
/// and each of `bad`, whose loads must fail partway.
func objectLeakLoop(good: String, bad: [String]) throws {
    for round in 0..<10 {
        let object = try BPFObjectLoader(path: good).load()
        if round % 2 == 0 { object.close() }
    }
    for path in bad {
        for _ in 0..<3 {
            if (try? BPFObjectLoader(path: path).load()) != nil {
                print("error: \(path) loaded but should have failed")
                exit(2)
            }
        }
    }
}

/// Runs `body` and exits 0 when the process holds as many descriptors as
/// before, 1 when not, 2 when `body` threw.
func exitComparingDescriptors(around body: () throws -> Void) -> Never {
    let before = openDescriptorCount()
    do {
        try body()
    } catch {
        print("error: \(error)")
        exit(2)
    }
    let after = openDescriptorCount()
    print("descriptors before \(before) after \(after)")
    exit(before == after ? 0 : 1)
}

switch CommandLine.arguments.dropFirst().first {
case "unprivileged":
    dropPrivileges()
    let map = isPermissionDenied {
        // An LRU hash needs CAP_BPF whatever kernel.unprivileged_bpf_disabled says.
        _ = try Map(type: .lruHash, name: "unprivileged", keySize: 4, valueSize: 4, maxEntries: 1)
    }
    let program = isPermissionDenied {
        _ = try Program(type: .tracepoint, instructions: [.mov(.r0, 0), .exit()], license: "GPL", name: "unprivileged")
    }
    exit(map && program ? 0 : 1)
case "fd-leak":
    exitComparingDescriptors(around: leakLoop)
case "object-fd-leak":
    let paths = Array(CommandLine.arguments.dropFirst(2))
    guard let good = paths.first else { exit(64) }
    exitComparingDescriptors { try objectLeakLoop(good: good, bad: Array(paths.dropFirst())) }
case "buffer-leak":
    // One round first: the concurrency runtime opens its own descriptors on first use.
    // A finished task's frame (holding its iterator) is freed just after the
    // task signals, so counts settle briefly.
    do { try bufferLeakLoop(rounds: 1) } catch { print("error: \(error)"); exit(2) }
    usleep(200_000)
    let (descriptors, mappings) = (openDescriptorCount(), bufferMappingCount())
    do {
        try bufferLeakLoop(rounds: 20)
    } catch {
        print("error: \(error)")
        exit(2)
    }
    var settled = (openDescriptorCount(), bufferMappingCount())
    for _ in 0..<20 where settled != (descriptors, mappings) {
        usleep(50_000)
        settled = (openDescriptorCount(), bufferMappingCount())
    }
    print("descriptors before \(descriptors) after \(settled.0), buffer mappings before \(mappings) after \(settled.1)")
    exit(settled == (descriptors, mappings) ? 0 : 1)
case "attach-leak":
    guard CommandLine.arguments.count == 3 else { exit(64) }
    do {
        // One round first: the concurrency runtime and caches open their descriptors on first use.
        try attachLeakLoop(rounds: 1, uprobeTarget: CommandLine.arguments[2])
        let before = openDescriptorCount()
        try attachLeakLoop(rounds: 10, uprobeTarget: CommandLine.arguments[2])
        let after = openDescriptorCount()
        let probes = try ourUprobeDefinitions()
        print("descriptors before \(before) after \(after), uprobe definitions left \(probes.count)")
        exit(before == after && probes.isEmpty ? 0 : 1)
    } catch {
        print("error: \(error)")
        exit(2)
    }
case "tracefs-mount":
    unmountTracingFilesystems()
    do {
        let root = try Tracefs.root()
        let mounted = access(root + "/trace_pipe", F_OK) == 0
        print("tracefs at \(root), trace_pipe \(mounted ? "present" : "missing")")
        exit(root == "/sys/kernel/tracing" && mounted ? 0 : 1)
    } catch {
        print("error: \(error)")
        exit(2)
    }
case "tracefs-unprivileged":
    unmountTracingFilesystems()
    dropPrivileges()
    do {
        print("found tracefs at \(try Tracefs.root()) without privileges")
        exit(1)
    } catch {
        print(error)
        exit("\(error)".contains("mount -t tracefs nodev /sys/kernel/tracing") ? 0 : 1)
    }
case "as-nobody":
    // Runs a program as user nobody with no capabilities (BCC's tests of privilege errors).
    guard CommandLine.arguments.count >= 3 else { exit(64) }
    dropPrivileges()
    let arguments = Array(CommandLine.arguments.dropFirst(2))
    var cArguments = arguments.map { strdup($0) } + [nil]
    execv(arguments[0], &cArguments)
    print("cannot run \(arguments[0]): errno \(errno)")
    exit(127)
default:
    print("usage: ebpf-test-helper unprivileged | fd-leak | object-fd-leak GOOD.o BAD.o... | buffer-leak"
        + " | attach-leak UPROBE_TARGET | tracefs-mount | tracefs-unprivileged | as-nobody PROGRAM [ARGUMENT...]")
    exit(64)
}
