import Testing
@testable import EBPF

/// Collects the records' sequence numbers, throwing at `failAt`: a handler
/// type the record loop is specialized for, whose state is a value.
struct SequenceCollector: RingBufferRecordHandler {
    var seen: [UInt64] = []
    var failAt: UInt64?

    mutating func handle(_ record: UnsafeRawBufferPointer) throws {
        let value = sequence(of: record)
        seen.append(value)
        if value == failAt { throw HandlerFailure(sequence: value) }
    }
}

/// The same as a class, for the poller, which keeps its own copy of a handler.
final class SharedSequenceCollector: RingBufferRecordHandler {
    var seen: [UInt64] = []

    func handle(_ record: UnsafeRawBufferPointer) { seen.append(sequence(of: record)) }
}

/// The generic record loop (``RingBufferRecordHandler``) and what the loop
/// publishes, whichever handler form runs it.
@Suite(.serialized) struct RingBufferHandlerTests {
    @Test func aHandlerTypeGetsEveryRecordAndKeepsItsState() throws {
        let map = try makeRingBufferMap(pages: 8)
        let producer = try RecordProducer(kind: .output, ring: map)
        let ring = try RingBuffer(map: map)
        defer { ring.close() }
        try producer.run(times: 7)
        var collector = SequenceCollector()
        #expect(try ring.consume(max: 2, into: &collector) == 2)
        #expect(collector.seen == [0, 1])
        #expect(ring.consumerPosition == 2 * 16)
        #expect(try ring.consume(into: &collector) == 5)
        #expect(collector.seen == Array(0..<7))
        #expect(ring.consumerPosition == 7 * 16)
    }

    @Test func aThrowingHandlerTypeKeepsWhatItDidAndItsRecordIsConsumed() throws {
        let map = try makeRingBufferMap(pages: 8)
        let producer = try RecordProducer(kind: .output, ring: map)
        let ring = try RingBuffer(map: map)
        defer { ring.close() }
        try producer.run(times: 5)
        var collector = SequenceCollector(failAt: 2)
        #expect(throws: HandlerFailure(sequence: 2)) { try ring.consume(into: &collector) }
        #expect(collector.seen == [0, 1, 2])
        #expect(ring.consumerPosition == 3 * 16)
        #expect(try ring.consume(into: &collector) == 2)
        #expect(collector.seen == Array(0..<5))
    }

    @Test func thePollerRunsAHandlerTypesLoop() throws {
        let map = try makeRingBufferMap(pages: 8)
        let producer = try RecordProducer(kind: .submit, ring: map, recordSize: 24)
        let poller = try RingBufferPoller()
        defer { poller.close() }
        let collector = SharedSequenceCollector()
        try poller.add(map: map, handling: collector)
        try producer.run(times: 5)
        #expect(try poll(poller, until: { collector.seen.count }, reaches: 5) == 5)
        #expect(collector.seen == Array(0..<5))
    }

    // MARK: The lazy publish

    /// A poll that handled records publishes up to the start of its last
    /// record (so that the next commit raises no wakeup), not past the
    /// discarded records after it; the next poll publishes the rest before
    /// it waits.
    @Test(arguments: [10, 1000])
    func aPollPublishesUpToItsLastRecordAndTheNextOneTheRest(records: Int) throws {
        // 8 pages: spans of 8 KiB, so 1,000 records of 16 B take two spans
        // (the first published at its end, the second up to its last record).
        let map = try makeRingBufferMap(pages: 8)
        let producer = try RecordProducer(kind: .output, ring: map)
        let discarder = try RecordProducer(kind: .discard, ring: map)
        let poller = try RingBufferPoller()
        defer { poller.close() }
        let collector = SharedSequenceCollector()
        let ring = try poller.add(map: map, handling: collector)
        try producer.run(times: UInt32(records))
        try discarder.run(times: 2)
        #expect(try poller.poll(timeout: 1000) == records)
        #expect(collector.seen == Array(0..<UInt64(records)))
        // The discarded records after the last one are read but not published.
        #expect(ring.consumerPosition == UInt64(records - 1) * 16)
        #expect(try poller.poll(timeout: 0) == 0)
        #expect(ring.consumerPosition == UInt64(records + 2) * 16)
    }

    /// The closure form runs the same loop: the same publishing.
    @Test func aClosurePollPublishesUpToItsLastRecord() throws {
        let map = try makeRingBufferMap(pages: 8)
        let producer = try RecordProducer(kind: .output, ring: map)
        let poller = try RingBufferPoller()
        defer { poller.close() }
        var seen = 0
        let ring = try poller.add(map: map) { _ in seen += 1 }
        try producer.run(times: 600)
        #expect(try poller.poll(timeout: 1000) == 600)
        #expect(seen == 600)
        #expect(ring.consumerPosition == 599 * 16)
        #expect(try poller.poll(timeout: 0) == 0)
        #expect(ring.consumerPosition == 600 * 16)
    }
}
