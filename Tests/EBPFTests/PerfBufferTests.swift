import CBPF
import Foundation
import Testing
@testable import EBPF
import TestSupport

/// A PERF_EVENT_ARRAY with a slot per possible CPU.
func makePerfEventArray() throws -> Map {
    try Map(type: .perfEventArray, name: "pb_events", keySize: 4, valueSize: 4, maxEntries: PossibleCPUs.count())
}

/// The samples' sequence numbers, one per 8-byte slot checked equal (so a
/// record torn by a wrong wrap-around copy is caught).
private func checkedSequence(of data: UnsafeRawBufferPointer, recordSize: Int) -> UInt64? {
    guard data.count >= recordSize else { return nil }
    let first = data.loadUnaligned(as: UInt64.self)
    for slot in stride(from: 8, to: recordSize, by: 8) where data.loadUnaligned(fromByteOffset: slot, as: UInt64.self) != first {
        return nil
    }
    return first
}

@Suite(.serialized) struct PerfBufferTests {
    @Test func samplesReachTheCallbackWithTheirCPU() throws {
        let map = try makePerfEventArray()
        let producer = try RecordProducer(kind: .perfOutput, ring: map)
        var seen: [UInt64] = []
        var cpus: Set<Int> = []
        let buffer = try PerfBuffer(map: map, pageCount: 8, onSample: { cpu, data in
            cpus.insert(cpu)
            // perf pads the raw data so the record stays 8-byte aligned: 4 + 8 -> 16.
            #expect(data.count == 12)
            seen.append(data.loadUnaligned(as: UInt64.self))
        })
        let poller = try PerfBufferPoller()
        defer { poller.close() }
        try poller.add(buffer)
        try producer.run(times: 6)
        let deadline = Date().addingTimeInterval(5)
        while seen.count < 6, Date() < deadline { try poller.poll(timeout: 100) }
        #expect(seen == Array(0..<6))
        #expect(cpus.count == 1)
        #expect(try producer.lost() == 0)
    }

    @Test func recordsThatWrapArriveWhole() throws {
        let map = try makePerfEventArray()
        // 64-byte samples make 80-byte records, which do not divide the page.
        let producer = try RecordProducer(kind: .perfOutput, ring: map, recordSize: 64)
        var seen: [UInt64?] = []
        let buffer = try PerfBuffer(map: map, pageCount: 1, onSample: { _, data in
            seen.append(checkedSequence(of: data, recordSize: 64))
        })
        defer { buffer.close() }
        // One CPU's ring holds them all, in order: pin this thread meanwhile.
        try onOneCPU {
            for _ in 0..<6 {
                try producer.run(times: 30)
                try buffer.consume()
            }
        }
        #expect(seen.count == 180)
        #expect(seen == (0..<180).map { Optional(UInt64($0)) })
        #expect(try producer.lost() == 0)
    }

    @Test func lostSamplesAreReportedWithTheirCount() throws {
        let map = try makePerfEventArray()
        let producer = try RecordProducer(kind: .perfOutput, ring: map, recordSize: 64)
        var delivered: UInt64 = 0
        var reported: UInt64 = 0
        let buffer = try PerfBuffer(map: map, pageCount: 1, onSample: { _, _ in delivered += 1 },
                                    onLost: { _, count in reported += count })
        defer { buffer.close() }
        // The consumer is stopped while 1000 records go to a one-page ring.
        try producer.run(times: 1000)
        try buffer.consume()
        // The kernel writes its LOST record once there is room: with the next sample.
        try producer.run(times: 1)
        try buffer.consume()
        #expect(try producer.lost() > 0)
        #expect(reported == (try producer.lost()))
        #expect(buffer.lostCount == reported)
        #expect(delivered + reported == 1001)
    }

    @Test func throwingHandlerStopsAfterItsRecord() throws {
        let map = try makePerfEventArray()
        let producer = try RecordProducer(kind: .perfOutput, ring: map)
        var seen: [UInt64] = []
        let buffer = try PerfBuffer(map: map, onSample: { _, data in
            let value = data.loadUnaligned(as: UInt64.self)
            seen.append(value)
            if value == 2 { throw HandlerFailure(sequence: value) }
        })
        defer { buffer.close() }
        try producer.run(times: 5)
        #expect(throws: HandlerFailure(sequence: 2)) { try buffer.consume() }
        #expect(seen == [0, 1, 2])
        #expect(try buffer.consume() == 2)
        #expect(seen == [0, 1, 2, 3, 4])
    }

    @Test func closingClosesEveryCPUsEvent() throws {
        let map = try makePerfEventArray()
        let poller = try PerfBufferPoller()
        let buffer = try PerfBuffer(map: map, pageCount: 2, onSample: { _, _ in })
        try poller.add(buffer)
        #expect(buffer.rings.count == (try OnlineCPUs.list().count))
        #expect(buffer.rings.allSatisfy { $0.fd.rawValue >= 0 })
        poller.close()
        #expect(buffer.rings.allSatisfy { $0.fd.rawValue == -1 })
        #expect(poller.epollFileDescriptor == -1)
        #expect(throws: BPFError.closed(object: "perf buffer \(buffer.name)")) { try buffer.consume() }
    }

    /// With `wakeupEvents: 4` the kernel signals the epoll descriptor only at
    /// a CPU's fourth sample; the next poll still reads all of them.
    @Test func wakeupEventsDelaysTheWakeupToTheNthSample() throws {
        let map = try makePerfEventArray()
        let producer = try RecordProducer(kind: .perfOutput, ring: map)
        var seen = 0
        let buffer = try PerfBuffer(map: map, pageCount: 8, wakeupEvents: 4, onSample: { _, _ in seen += 1 })
        let poller = try PerfBufferPoller()
        defer { poller.close() }
        try poller.add(buffer)
        var data: UInt64 = 0, events: UInt32 = 0
        func ready() -> Int32 { cbpf_epoll_wait(poller.epollFileDescriptor, &data, &events, 1, 0) }
        // Every sample must land on one CPU's ring: pin this thread meanwhile.
        try onOneCPU {
            try producer.run(times: 3)
            #expect(ready() == 0, "three samples must not wake a reader that asked for four")
            try producer.run(times: 1)
            #expect(ready() == 1, "the fourth sample wakes the reader")
        }
        #expect(try poller.poll(timeout: 0) == 4)
        #expect(seen == 4)
    }

    @Test func badArgumentsAreRejectedWithTheMapsName() throws {
        let map = try makePerfEventArray()
        #expect {
            try PerfBuffer(map: map, pageCount: 3, onSample: { _, _ in })
        } throws: { "\($0)".contains("pb_events") && "\($0)".contains("power of two") }
        #expect {
            try PerfBuffer(map: map, wakeupEvents: 0, onSample: { _, _ in })
        } throws: { "\($0)".contains("pb_events") && "\($0)".contains("wakeup events 0") }
        let ring = try makeRingBufferMap(pages: 1, name: "rb_not_perf")
        #expect {
            try PerfBuffer(map: ring, onSample: { _, _ in })
        } throws: { "\($0)".contains("rb_not_perf") }
    }
}

/// Runs `body` with the calling thread pinned to the CPU it is on, then
/// restores its affinity.
private func onOneCPU(_ body: () throws -> Void) throws {
    var saved = [UInt8](repeating: 0, count: 128) // 1024 CPUs, as glibc's cpu_set_t
    guard cbpf_thread_affinity_get(&saved, saved.count) == 0 else {
        throw BPFError.system(operation: "sched_getaffinity", object: "test thread", errno: errno)
    }
    defer { _ = cbpf_thread_affinity_set(saved, saved.count) }
    let cpu = Int(cbpf_current_cpu())
    var one = [UInt8](repeating: 0, count: saved.count)
    one[cpu / 8] |= UInt8(1 << (cpu % 8))
    guard cbpf_thread_affinity_set(one, one.count) == 0 else {
        throw BPFError.system(operation: "sched_setaffinity", object: "test thread", errno: errno)
    }
    try body()
}
