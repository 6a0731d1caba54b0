import Foundation
import Testing
@testable import BCC
import TestSupport

// A compile leaves nothing behind: not when it is cancelled, not when its
// process is killed, and what a killed process left is removed later.

/// Temporary files of processes that no longer run (or older than an hour)
/// are removed from the cache by the next compile; a live process's stay.
@Test func staleTemporaryFilesInTheCacheAreRemoved() throws {
    let setup = try StubCompileSetup()
    defer { try? FileManager.default.removeItem(at: setup.directory) }
    let objects = setup.directory.appendingPathComponent("cache/objects")
    try FileManager.default.createDirectory(at: objects, withIntermediateDirectories: true)
    // Above the largest pid_max: no such process can run.
    let dead = 4_194_999
    let stale = ["0123456789abcdef.\(dead).77.tmp.c", "0123456789abcdef.\(dead).77.tmp.c.ast.json",
                 "0123456789abcdef.o.\(dead).5.tmp"]
    let live = "fedcba9876543210.o.\(getpid()).6.tmp"
    let old = "fedcba9876543210.o.\(getpid()).7.tmp"
    for name in stale + [live, old, "unrelated.tmp", "0123456789abcdef.o"] {
        #expect(FileManager.default.createFile(atPath: objects.appendingPathComponent(name).path, contents: Data([1])))
    }
    try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-2 * Double(CacheFile.staleAge))],
                                          ofItemAtPath: objects.appendingPathComponent(old).path)
    _ = try setup.compile(guideRingBufferProgram)
    let left = Set(try FileManager.default.contentsOfDirectory(atPath: objects.path))
    for name in stale + [old] { #expect(!left.contains(name), "\(name) is still there") }
    for name in [live, "unrelated.tmp", "0123456789abcdef.o"] { #expect(left.contains(name), "\(name) was removed") }
    #expect(!left.contains { $0.hasSuffix(".c") || $0.contains(".tmp.") }, "\(left)")
}

/// Cancelling the task that compiles stops clang at once (here a clang
/// that would sleep two minutes) and the compile fails saying so; without
/// the cancellation it would end after the two minutes, with clang's output.
@Test func aCompileIsCancelledWithItsTask() async throws {
    let setup = try StubCompileSetup(beforeClang: "exec sleep 120")
    defer { try? FileManager.default.removeItem(at: setup.directory) }
    // The compile notes when it ended: awaiting its value can take long on a
    // loaded machine whose few concurrency threads other tests' blocking work holds.
    let compile = Task.detached { () -> (error: BCCError?, endedAt: ContinuousClock.Instant) in
        do {
            _ = try setup.compile(guideRingBufferProgram)
            return (nil, .now)
        } catch {
            return (error as? BCCError, .now)
        }
    }
    // Cancel once clang runs (other tests' blocking work may delay both tasks).
    while setup.clangRuns == 0 { try await Task.sleep(for: .milliseconds(20)) }
    let cancelledAt = ContinuousClock.now
    compile.cancel()
    let (error, endedAt) = await compile.value
    #expect(endedAt - cancelledAt < .seconds(30))
    guard case let .compilerFailed(_, detail)? = error else { Issue.record("expected a cancelled compile, got \(String(describing: error))"); return }
    #expect(detail.contains("cancelled"))
}

/// The processes whose command line mentions `text` (clang compiling into a cache).
private func processes(mentioning text: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard pid != getpid(), let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: data, as: UTF8.self).contains(text)
    }
}

/// SIGKILL of `swift-bcc run` during a cold compile takes clang with it, and
/// the half-written file it leaves in the cache is removed by the next run.
@Test func killingACompileLeavesNoClangAndTheNextRunRemovesItsFiles() throws {
    let executable = TestSupport.builtProduct("swift-bcc")
    try #require(FileManager.default.isExecutableFile(atPath: executable), "swift-bcc is built by `swift test`")
    let directory = try TestSupport.temporaryDirectory("bcc-run-killed")
    defer { try? FileManager.default.removeItem(at: directory) }
    let cache = directory.appendingPathComponent("cache")
    let program = directory.appendingPathComponent("prog.c")
    try "TRACEPOINT_PROBE(syscalls, sys_enter_getppid) { return 0; }\n".write(to: program, atomically: true, encoding: .utf8)
    func start() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["run", program.path, "--duration", "0.1"]
        process.environment = ProcessInfo.processInfo.environment.merging(["XDG_CACHE_HOME": cache.path]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
    let first = try start()
    // Kill it while clang precompiles the header into the cache.
    let deadline = Date().addingTimeInterval(60)
    while first.isRunning, Date() < deadline, processes(mentioning: cache.path).isEmpty { usleep(10_000) }
    #expect(first.isRunning, "the run ended before clang started")
    kill(first.processIdentifier, SIGKILL)
    first.waitUntilExit()
    var orphans = processes(mentioning: cache.path)
    for _ in 0..<100 where !orphans.isEmpty {
        usleep(20_000)
        orphans = processes(mentioning: cache.path)
    }
    #expect(orphans.isEmpty, "clang outlived its parent: \(orphans)")
    func temporaryFiles() -> [String] {
        ((try? FileManager.default.subpathsOfDirectory(atPath: cache.path)) ?? []).filter { $0.contains(".tmp") }
    }
    let left = temporaryFiles()
    let second = try start()
    second.waitUntilExit()
    #expect(second.terminationStatus == 0)
    let after = temporaryFiles()
    #expect(after.isEmpty, "left by the killed run: \(left); after the next run: \(after)")
}

/// Ctrl-C at a terminal during a cold compile (SIGINT to the foreground
/// process group: the tool and its clang) stops the run: clang dies, no
/// compile starts after it, and the run ends saying it was interrupted.
@Test func ctrlCDuringACompileStopsTheRunAndItsClang() throws {
    let executable = TestSupport.builtProduct("swift-bcc")
    try #require(FileManager.default.isExecutableFile(atPath: executable), "swift-bcc is built by `swift test`")
    let directory = try TestSupport.temporaryDirectory("bcc-run-interrupted")
    defer { try? FileManager.default.removeItem(at: directory) }
    let program = directory.appendingPathComponent("prog.c")
    try "TRACEPOINT_PROBE(syscalls, sys_enter_getppid) { return 0; }\n".write(to: program, atomically: true, encoding: .utf8)
    // A clang that notes its pid and then waits two minutes.
    let started = directory.appendingPathComponent("clang-pids")
    let clang = directory.appendingPathComponent("clang")
    try "#!/bin/sh\necho $$ >> '\(started.path)'\nexec sleep 120\n".write(to: clang, atomically: true, encoding: .utf8)
    chmod(clang.path, 0o755)
    func clangPids() -> [Int32] {
        ((try? String(contentsOf: started, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Int32($0) }
    }
    // In a session of its own, as a terminal's foreground job is.
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
    process.arguments = ["--wait", executable, "run", program.path, "--duration", "1"]
    process.environment = ProcessInfo.processInfo.environment.merging(
        ["XDG_CACHE_HOME": directory.appendingPathComponent("cache").path, "BCC_CLANG": clang.path]) { $1 }
    let errors = Pipe()
    process.standardOutput = FileHandle.nullDevice
    process.standardError = errors
    try process.run()
    let deadline = Date().addingTimeInterval(60)
    while clangPids().isEmpty, process.isRunning, Date() < deadline { usleep(10_000) }
    let first = try #require(clangPids().first, "clang never started")
    // The group the terminal would signal: clang's (the run's session).
    let stat = try String(contentsOfFile: "/proc/\(first)/stat", encoding: .utf8)
    let fields = stat[stat.lastIndex(of: ")")!...].split(separator: " ")
    let group = try #require(Int32(fields[3]))
    #expect(group != getpgrp())
    let interruptedAt = Date()
    kill(-group, SIGINT)
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(Date().timeIntervalSince(interruptedAt) < 30, "the run went on after Ctrl-C")
    #expect(process.terminationStatus != 0)
    #expect(message.contains("Interrupt"), "\(message)")
    for pid in clangPids() { #expect(kill(pid, 0) != 0, "clang \(pid) outlived Ctrl-C") }
}
