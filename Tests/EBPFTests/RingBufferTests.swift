import Foundation
import Synchronization
import Testing
@testable import EBPF
import TestSupport

/// A ring buffer map of `pages` pages.
func makeRingBufferMap(pages: Int, name: String = "rb_events") throws -> Map {
    try Map(type: .ringBuffer, name: name, keySize: 0, valueSize: 0, maxEntries: pages * Int(getpagesize()))
}

/// The record's first 8 bytes: the producer's sequence number.
func sequence(of record: UnsafeRawBufferPointer) -> UInt64 {
    record.loadUnaligned(as: UInt64.self)
}

/// A failure the tests throw from a handler.
struct HandlerFailure: Error, Equatable {
    let sequence: UInt64
}

/// Polls until `count` records have arrived or `seconds` pass (BPF's
/// wakeups are delivered by irq_work, shortly after the test run returns).
@discardableResult
func poll(_ poller: RingBufferPoller, until count: () -> Int, reaches target: Int, seconds: Double = 5) throws -> Int {
    let deadline = Date().addingTimeInterval(seconds)
    var handled = 0
    while count() < target, Date() < deadline { handled += try poller.poll(timeout: 100) }
    return handled
}

@Suite(.serialized) struct RingBufferTests {
    // MARK: bcc's five cases

    @Test func outputRecordsReachThePollCallback() throws {
        let map = try makeRingBufferMap(pages: 8)
        let producer = try RecordProducer(kind: .output, ring: map)
        let poller = try RingBufferPoller()
        defer { poller.close() }
        var seen: [UInt64] = []
        try poller.add(map: map) { record in
            #expect(record.count == 8)
            seen.append(sequence(of: record))
        }
        try producer.run(times: 5)
        let handled = try poll(poller, until: { seen.count }, reaches: 5)
        #expect(handled == 5)
        #expect(seen == [0, 1, 2, 3, 4])
    }

    @Test func consumeReadsWithoutWaiting() throws {
        let map = try makeRingBufferMap(pages: 8)
        let producer = try RecordProducer(kind: .output, ring: map)
        let ring = try RingBuffer(map: map)
        defer { ring.close() }
        try producer.run(times: 7)
        #expect(ring.availableBytes == 7 * 16)
        var seen: [UInt64] = []
        #expect(try ring.consume { seen.append(sequence(of: $0)) } == 7)
        #expect(seen == Array(0..<7))
        #expect(ring.availableBytes == 0)
        #expect(ring.consumerPosition == 7 * 16 && ring.producerPosition == 7 * 16)
        #expect(try ring.consume { _ in Issue.record("no record expected") } == 0)
    }

    @Test func reservedAndSubmittedRecordsArrive() throws {
        let map = try makeRingBufferMap(pages: 8)
        let producer = try RecordProducer(kind: .submit, ring: map, recordSize: 24)
        let poller = try RingBufferPoller()
        defer { poller.close() }
        var seen: [UInt64] = []
        try poller.add(map: map) { record in
            #expect(record.count == 24)
            seen.append(sequence(of: record))
        }
        try producer.run(times: 3)
        try poll(poller, until: { seen.count }, reaches: 3)
        #expect(seen == [0, 1, 2])
        #expect(try producer.lost() == 0)
    }

    @Test func discardedRecordWakesThePollAndDeliversNothing() throws {
        let map = try makeRingBufferMap(pages: 8)
        let producer = try RecordProducer(kind: .discard, ring: map)
        let poller = try RingBufferPoller()
        defer { poller.close() }
        var delivered = 0
        let ring = try poller.add(map: map) { _ in delivered += 1 }
        try producer.run(times: 3)
        let start = Date()
        // bcc's test polls with the default timeout (block); the discard's
        // wakeup must end the wait. The bound only keeps a failure from hanging.
        #expect(try poller.poll(timeout: 10_000) == 0)
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(delivered == 0)
        #expect(ring.availableBytes == 0)
        #expect(ring.consumerPosition == 3 * 16)
    }

    @Test func ringSizeQueriedInBPFIsEightPages() throws {
        let map = try makeRingBufferMap(pages: 8)
        let producer = try RecordProducer(kind: .querySize, ring: map)
        let ring = try RingBuffer(map: map)
        defer { ring.close() }
        try producer.run(times: 2)
        var sizes: [UInt64] = []
        try ring.consume { sizes.append(sequence(of: $0)) }
        #expect(sizes == [UInt64(8 * getpagesize()), UInt64(8 * getpagesize())])
        #expect(ring.size == 8 * Int(getpagesize()))
    }

    // MARK: Several rings, losses, errors

    @Test func twoRingsPolledTogetherReachTheirOwnCallbacks() throws {
        let first = try makeRingBufferMap(pages: 1, name: "rb_first")
        let second = try makeRingBufferMap(pages: 2, name: "rb_second")
        let firstProducer = try RecordProducer(kind: .output, ring: first)
        let secondProducer = try RecordProducer(kind: .submit, ring: second, recordSize: 16)
        let poller = try RingBufferPoller()
        defer { poller.close() }
        var firstSeen: [Int] = [], secondSeen: [Int] = []
        try poller.add(map: first) { firstSeen.append($0.count) }
        try poller.add(map: second) { secondSeen.append($0.count) }
        try firstProducer.run(times: 4)
        try secondProducer.run(times: 6)
        try poll(poller, until: { firstSeen.count + secondSeen.count }, reaches: 10)
        #expect(firstSeen == Array(repeating: 8, count: 4))
        #expect(secondSeen == Array(repeating: 16, count: 6))
        #expect(poller.rings.map(\.name) == ["rb_first", "rb_second"])
    }

    @Test(arguments: [RecordProducer.Kind.output, .submit])
    func fullOnePageRingLosesExactlyWhatItDoesNotDeliver(kind: RecordProducer.Kind) throws {
        let map = try makeRingBufferMap(pages: 1)
        let producer = try RecordProducer(kind: kind, ring: map)
        let ring = try RingBuffer(map: map)
        defer { ring.close() }
        // The consumer is stopped while 1000 records of 16 bytes (with their
        // headers) go to a 4096-byte ring.
        try producer.run(times: 1000)
        var delivered: UInt64 = 0
        try ring.consume { _ in delivered += 1 }
        let lost = try producer.lost()
        #expect(try producer.produced() == 1000)
        // A reservation must leave the ring less than full (new producer -
        // consumer <= size - 1), so a page holds one 16-byte record less than 256.
        #expect(delivered == UInt64(getpagesize()) / 16 - 1)
        #expect(delivered + lost == 1000)
    }

    @Test func throwingHandlerStopsAfterItsRecordAndLeavesTheRest() throws {
        let map = try makeRingBufferMap(pages: 8)
        let producer = try RecordProducer(kind: .output, ring: map)
        let poller = try RingBufferPoller()
        defer { poller.close() }
        var seen: [UInt64] = []
        try poller.add(map: map) { record in
            let value = sequence(of: record)
            seen.append(value)
            if value == 1 { throw HandlerFailure(sequence: value) }
        }
        try producer.run(times: 5)
        #expect(throws: HandlerFailure(sequence: 1)) { try poller.consume() }
        #expect(seen == [0, 1])
        // Level-triggered: the records left behind are reported again at once.
        #expect(try poller.poll(timeout: 1000) == 3)
        #expect(seen == [0, 1, 2, 3, 4])
    }

    @Test func boundedConsumeLeavesTheRestForTheNextCall() throws {
        let map = try makeRingBufferMap(pages: 8)
        let producer = try RecordProducer(kind: .output, ring: map)
        let poller = try RingBufferPoller()
        defer { poller.close() }
        var seen: [UInt64] = []
        try poller.add(map: map) { seen.append(sequence(of: $0)) }
        try producer.run(times: 10)
        #expect(try poller.consume(max: 4) == 4)
        #expect(seen == [0, 1, 2, 3])
        #expect(poller.rings[0].availableBytes == 6 * 16)
        #expect(try poller.consume(max: 100) == 6)
        #expect(seen == Array(0..<10))
    }

    @Test func pollReturnsPromptlyWhenASignalInterruptsIt() async throws {
        let map = try makeRingBufferMap(pages: 1)
        let poller = UncheckedBox(try RingBufferPoller())
        defer { poller.value.close() }
        try poller.value.add(map: map) { _ in }
        signal(SIGUSR2) { _ in }
        let pollingThread = Mutex<pthread_t?>(nil)
        let outcome = Mutex<Result<Int, any Error>?>(nil)
        let thread = Thread {
            // Foundation's threads start with most signals blocked; a
            // program's main thread (where Ctrl-C lands) has them unblocked.
            var unblock = sigset_t()
            sigemptyset(&unblock)
            sigaddset(&unblock, SIGUSR2)
            pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
            pollingThread.withLock { $0 = pthread_self() }
            // The only user of the poller until the poll returns.
            let result = Result { try poller.value.poll(timeout: 20_000) }
            outcome.withLock { $0 = result }
        }
        thread.start()
        var handle: pthread_t?
        while handle == nil {
            try await Task.sleep(for: .milliseconds(10))
            handle = pollingThread.withLock { $0 }
        }
        let start = Date()
        // Keep signalling until the poll returns: the first signal may land
        // before the thread is inside epoll_wait.
        while outcome.withLock({ $0 == nil }), Date().timeIntervalSince(start) < 10 {
            try await Task.sleep(for: .milliseconds(50))
            pthread_kill(handle!, SIGUSR2)
        }
        #expect(Date().timeIntervalSince(start) < 5)
        let handled = try #require(outcome.withLock { $0 }).get()
        #expect(handled == 0)
    }

    // MARK: Resources

    @Test func closingUnmapsTheRing() throws {
        let map = try makeRingBufferMap(pages: 4)
        let producer = try RecordProducer(kind: .output, ring: map)
        let poller = try RingBufferPoller()
        let ring = try poller.add(map: map) { _ in }
        let ranges = ring.mappedRanges
        try producer.run(times: 3)
        #expect(try poller.consume() == 3)
        let mapped = try mappedStarts()
        for range in ranges { #expect(mapped.contains(range.start)) }
        poller.close()
        poller.close()
        #expect(ring.fileDescriptor == -1 && poller.epollFileDescriptor == -1)
        let unmapped = try mappedStarts()
        for range in ranges { #expect(!unmapped.contains(range.start)) }
        #expect(throws: BPFError.closed(object: "ring buffer rb_events")) { try ring.consume { _ in } }
    }

    /// Descriptor counts are per process and the test runner runs suites in
    /// parallel, so the exact count runs in ebpf-test-helper.
    @Test func readersLeakNoDescriptorsOrMappings() throws {
        try #require(FileManager.default.isExecutableFile(atPath: ProcessTests.helper), "missing \(ProcessTests.helper): run swift build")
        let result = try TestSupport.run(ProcessTests.helper, ["buffer-leak"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasPrefix("descriptors before"))
    }

    @Test func wrongMapTypeIsRejectedWithItsName() throws {
        let map = try Map(type: .array, name: "not_a_ring", keySize: 4, valueSize: 8, maxEntries: 1)
        #expect {
            try RingBuffer(map: map)
        } throws: { error in
            "\(error)".contains("not_a_ring") && "\(error)".contains("not ring buffer")
        }
    }
}

/// The start addresses of this process's mappings, from /proc/self/maps.
func mappedStarts() throws -> Set<UInt> {
    // procfs reports size 0, so read to the end rather than by the size.
    let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/maps"))
    defer { try? handle.close() }
    let maps = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    return Set(maps.split(separator: "\n").compactMap { line in
        line.split(separator: "-", maxSplits: 1).first.flatMap { UInt($0, radix: 16) }
    })
}

/// Hands a non-Sendable value to one other thread, which is its only user.
final class UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
