import Foundation
import Synchronization
import Testing
@testable import EBPF
import TestSupport

/// A counter shared between the producing thread and the consuming task.
private final class SharedCount: Sendable {
    let value = Atomic<Int>(0)
}

@Suite(.serialized) struct RingBufferAsyncTests {
    /// A million records through the AsyncSequence while a separate thread
    /// produces them as fast as the ring has room: every record arrives, in
    /// order, and the edge-triggered wait never strands one (a stranded
    /// record would stall the stream until the watchdog cancels it).
    @Test func millionRecordsThroughTheAsyncSequenceNoneLostNoHang() async throws {
        let total = 1_000_000, batch = 2048
        let map = try makeRingBufferMap(pages: 64)
        let producer = try RecordProducer(kind: .output, ring: map)
        let stop = SharedCount()
        // The producer paces itself by the consumer position the kernel sees
        // (read through a second mapping), as a real producer cannot: the
        // point is that nothing is lost in the reader, not in a full ring.
        let watch = UncheckedBox(try RingBuffer(map: map))
        defer { watch.value.close() }
        let producerThread = Thread {
            var produced = 0
            while produced < total, stop.value.load(ordering: .relaxed) == 0 {
                let count = min(batch, total - produced)
                if watch.value.availableBytes + count * 16 >= watch.value.size {
                    usleep(20)
                    continue
                }
                do { try producer.run(times: UInt32(count)) } catch { return }
                produced += count
            }
        }
        let consumed = SharedCount()
        let consumer = Task { () throws -> (count: Int, inOrder: Bool) in
            let ring = try RingBuffer(map: map)
            defer { ring.close() }
            var next: UInt64 = 0
            var inOrder = true
            for try await record in ring.records() {
                let value = record.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                if record.count != 8 || value != next { inOrder = false }
                next += 1
                consumed.value.store(Int(next), ordering: .relaxed)
                if next == UInt64(total) { break }
            }
            return (Int(next), inOrder)
        }
        // A stranded record stalls the stream: cancel when nothing arrives
        // for 20 s (a loaded machine is slow, not stalled).
        let watchdog = Task {
            var seen = -1
            while seen != consumed.value.load(ordering: .relaxed) {
                seen = consumed.value.load(ordering: .relaxed)
                try await Task.sleep(for: .seconds(20))
            }
            consumer.cancel()
        }
        producerThread.start()
        let result = try await consumer.value
        watchdog.cancel()
        stop.value.store(1, ordering: .relaxed)
        #expect(result.count == total)
        #expect(result.inOrder)
        #expect(try producer.lost() == 0)
        #expect(try producer.produced() == UInt64(total))
    }

    @Test func cancellingTheIteratingTaskEndsTheSequence() async throws {
        let map = try makeRingBufferMap(pages: 1)
        let producer = try RecordProducer(kind: .output, ring: map)
        let started = SharedCount()
        let consumer = Task { () throws -> Int in
            let ring = try RingBuffer(map: map)
            defer { ring.close() }
            var count = 0
            for try await _ in ring.records() {
                count += 1
                started.value.store(count, ordering: .releasing)
            }
            return count
        }
        try producer.run(times: 2)
        while started.value.load(ordering: .acquiring) < 2 { try await Task.sleep(for: .milliseconds(5)) }
        // The iterator is now blocked waiting for a third record.
        try await Task.sleep(for: .milliseconds(50))
        let start = Date()
        consumer.cancel()
        #expect(try await consumer.value == 2)
        // Promptly, not when a record arrives (none will); generous for a loaded machine.
        #expect(Date().timeIntervalSince(start) < 10)
    }

    @Test func closedRingEndsTheSequenceWithAnError() async throws {
        let map = try makeRingBufferMap(pages: 1)
        let ring = try RingBuffer(map: map)
        ring.close()
        await #expect(throws: BPFError.closed(object: "ring buffer \(map.name)")) {
            for try await _ in ring.records() {}
        }
    }

    @Test func anIteratorThatStopsEarlyLeavesTheRestForTheNextReader() async throws {
        let map = try makeRingBufferMap(pages: 1)
        let producer = try RecordProducer(kind: .output, ring: map)
        let ring = try RingBuffer(map: map)
        defer { ring.close() }
        try producer.run(times: 5)
        var first: [UInt64] = []
        for try await record in ring.records() {
            first.append(record.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
            if first.count == 2 { break }
        }
        let next = try RingBuffer(map: map)
        defer { next.close() }
        var rest: [UInt64] = []
        try next.consume { rest.append(sequence(of: $0)) }
        #expect(first == [0, 1])
        #expect(rest == [2, 3, 4])
    }
}
