import Foundation
import Glibc
import Synchronization
import Testing
@testable import EBPF

/// EBPF's system substrate: the owned descriptor's reads and writes, the one
/// epoll front end and its waker, and the kernel's CPU lists.
@Suite struct SystemTests {
    /// A pipe written in pieces larger than its buffer arrives whole: writeAll
    /// continues after short writes and readAll reads to end of file.
    @Test func writeAllAndReadAllMoveEveryByteThroughAPipe() throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        let reader = OwnedFD(rawValue: ends[0]), writer = OwnedFD(rawValue: ends[1])
        // More than the 64 KiB pipe buffer, so the writer blocks and writes short.
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let received = Mutex<[UInt8]?>(nil)
        let thread = Thread { received.withLock { $0 = try? reader.readAll(object: "pipe") } }
        thread.start()
        try bytes.withUnsafeBytes { buffer in try writer.writeAll(buffer, object: "pipe") }
        writer.close()
        let deadline = Date().addingTimeInterval(10)
        while received.withLock({ $0 == nil }), Date() < deadline { usleep(1_000) }
        #expect(received.withLock { $0 } == bytes)
    }

    @Test func openingAMissingFileNamesIt() {
        #expect(throws: BPFError.notFound(what: "/nonexistent/swift-bcc")) {
            try OwnedFD.open("/nonexistent/swift-bcc", flags: O_RDONLY)
        }
        #expect(throws: BPFError.notFound(what: "/nonexistent/swift-bcc")) { try SysFile.read("/nonexistent/swift-bcc") }
    }

    /// A wait blocked with no timeout returns 0 as soon as another thread
    /// wakes it, and says so; the next wait is not woken again.
    @Test func wakerEndsABlockedWaitFromAnotherThread() throws {
        let epoll = UncheckedBox(try Epoll(object: "test epoll"))
        let waker = epoll.value.waker
        let outcome = Mutex<(ready: Int, woken: Bool)?>(nil)
        let thread = Thread {
            // The only user of the epoll set until the wait returns.
            let ready = (try? epoll.value.wait(maxEvents: 4, timeout: 20_000)) ?? -1
            outcome.withLock { $0 = (ready, epoll.value.wasWoken) }
        }
        let start = Date()
        thread.start()
        usleep(50_000)
        waker.wake()
        while outcome.withLock({ $0 == nil }), Date().timeIntervalSince(start) < 10 { usleep(1_000) }
        #expect(Date().timeIntervalSince(start) < 5)
        let result = try #require(outcome.withLock { $0 })
        #expect(result.ready == 0 && result.woken)
        #expect(try epoll.value.wait(maxEvents: 4, timeout: 0) == 0)
        #expect(!epoll.value.wasWoken)
    }

    /// The pollers hand out their waker, and a poll with a Duration timeout
    /// waits about that long.
    @Test func pollersWakeAndTakeDurations() throws {
        let map = try makeRingBufferMap(pages: 1)
        let poller = try RingBufferPoller()
        defer { poller.close() }
        try poller.add(map: map) { _ in }
        poller.waker.wake()
        let start = ContinuousClock.now
        #expect(try poller.poll(timeout: .seconds(20)) == 0)
        #expect(ContinuousClock.now - start < .seconds(5))
        let waited = ContinuousClock.now
        #expect(try poller.poll(timeout: .milliseconds(30)) == 0)
        #expect(ContinuousClock.now - waited >= .milliseconds(25))

        let perfPoller = try PerfBufferPoller()
        defer { perfPoller.close() }
        perfPoller.waker.wake()
        #expect(try perfPoller.poll(timeout: nil) == 0)
    }

    @Test func durationsBecomeEpollMilliseconds() {
        #expect(Epoll.milliseconds(nil) == -1)
        #expect(Epoll.milliseconds(.zero) == 0)
        #expect(Epoll.milliseconds(.milliseconds(-5)) == 0)
        #expect(Epoll.milliseconds(.microseconds(1)) == 1)
        #expect(Epoll.milliseconds(.milliseconds(250)) == 250)
        #expect(Epoll.milliseconds(.seconds(2) + .microseconds(1)) == 2001)
        #expect(Epoll.milliseconds(.seconds(Int64.max / 2)) == Int(Int32.max))
    }

    @Test func cpuListsParseOrNameTheFile() throws {
        #expect(try OnlineCPUs.parse("0-3,6\n") == [0, 1, 2, 3, 6])
        #expect(try PossibleCPUs.parse("0,2-5,7", source: "t") == 8)
        #expect(throws: BPFError.malformed(what: "t", detail: "expected an ascending CPU list like 0-3,5, found '3-1'")) {
            try CPUList.parse("3-1", source: "t")
        }
        #expect(throws: BPFError.malformed(what: "t", detail: "the CPU list is empty")) { try CPUList.parse("\n", source: "t") }
        expectBPFError(.malformed) { try CPUList.parse("2,1", source: "t") }
        expectBPFError(.malformed) { try CPUList.parse("a-b", source: "t") }
    }
}
