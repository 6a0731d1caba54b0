import BCC
import BCCTools
import Foundation
import TestSupport
import Testing

/// The drop count the event tools print as "Possibly lost N samples".
@Suite struct LostSamplesTests {
    @Test func countsExactlyTheRecordsAFullRingRefused() throws {
        // A one-page ring and 512-byte records: a few fit, the rest are refused until it is read.
        let b = try BPF(text: """
            struct big_record_t { u32 pid; char payload[508]; };
            BPF_RINGBUF_OUTPUT(events, 1);
            BPF_ARRAY(attempts, u64, 1);

            TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
            {
                if ((bpf_get_current_pid_tgid() >> 32) != \(getpid()))
                    return 0;
                u32 zero = 0;
                u64 *count = attempts.lookup(&zero);
                if (count)
                    __sync_fetch_and_add(count, 1);
                struct big_record_t *record = events.ringbuf_reserve(sizeof(struct big_record_t));
                if (record == 0)
                    return 0;
                record->pid = bpf_get_current_pid_tgid() >> 32;
                events.ringbuf_submit(record, 0);
                return 0;
            }
            """)
        defer { b.close() }
        var delivered = 0
        try b["events"].openRingBuffer { _ in delivered += 1 }
        let lost = LostSamples([try b["events"]])
        #expect(try lost.sinceLastCheck() == 0)
        for _ in 0 ..< 100 { _ = getppid() }
        while try b.poll(timeout: 0) > 0 {}
        let attempts = try #require(try b["attempts"].typed(key: UInt32.self, value: UInt64.self)[0])
        #expect(attempts >= 100)
        let dropped = try lost.sinceLastCheck()
        #expect(dropped > 0)
        #expect(dropped == attempts - UInt64(delivered))
        // Only new drops count the next time.
        #expect(try lost.sinceLastCheck() == 0)
        for _ in 0 ..< 20 { _ = getppid() }
        while try b.poll(timeout: 0) > 0 {}
        let attemptsAfter = try #require(try b["attempts"].typed(key: UInt32.self, value: UInt64.self)[0])
        #expect(try lost.sinceLastCheck() == attemptsAfter - UInt64(delivered) - dropped)
    }

    /// A one-page ring that refuses most of a burst of 512-byte records,
    /// counting every attempt of this thread.
    static func refusingRing() throws -> BPF {
        try BPF(text: """
            struct big_record_t { u32 pid; char payload[508]; };
            BPF_RINGBUF_OUTPUT(events, 1);
            BPF_ARRAY(attempts, u64, 1);

            TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
            {
                if ((u32)bpf_get_current_pid_tgid() != \(TestSupport.threadID()))
                    return 0;
                u32 zero = 0;
                u64 *count = attempts.lookup(&zero);
                if (count)
                    __sync_fetch_and_add(count, 1);
                struct big_record_t *record = events.ringbuf_reserve(sizeof(struct big_record_t));
                if (record == 0)
                    return 0;
                record->pid = bpf_get_current_pid_tgid() >> 32;
                events.ringbuf_submit(record, 0);
                return 0;
            }
            """)
    }

    @Test func reportsAsBccDoesThenTheTotal() throws {
        let b = try Self.refusingRing()
        defer { b.close() }
        var delivered: UInt64 = 0
        try b["events"].openRingBuffer { _ in delivered += 1 }
        let lost = LostSamples([try b["events"]])
        let output = OutputBuffer(descriptor: -1)
        try lost.report(to: output)
        #expect(output.isEmpty)
        for _ in 0 ..< 100 { _ = getppid() }
        while try b.poll(timeout: 0) > 0 {}
        try lost.report(to: output)
        let kernelCount = try b["events"].lostRecords
        let attempts = try #require(try b["attempts"].typed(key: UInt32.self, value: UInt64.self)[0])
        #expect(kernelCount > 0)
        #expect(kernelCount == attempts - delivered)
        #expect(output.text == "Possibly lost \(kernelCount) samples\n")
        output.removeAll()
        try lost.reportTotal(to: output)
        #expect(output.text == "Lost \(kernelCount) samples in total\n")
        #expect(lost.total == kernelCount)
    }

    @Test func jsonRecordsPerTableWithTheTotal() throws {
        let b = try Self.refusingRing()
        defer { b.close() }
        try b["events"].openRingBuffer { _ in }
        let lost = LostSamples([try b["events"]])
        let output = OutputBuffer(descriptor: -1)
        for _ in 0 ..< 100 { _ = getppid() }
        while try b.poll(timeout: 0) > 0 {}
        try lost.reportTotal(to: output, json: true)
        let kernelCount = try b["events"].lostRecords
        #expect(kernelCount > 0)
        let records = try output.text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        try #require(records.count == 2, "\(output.text)")
        #expect(records[0]["table"] as? String == "events")
        #expect((records[0]["lost"] as? NSNumber)?.uint64Value == kernelCount)
        #expect(records[1]["table"] as? String == "events")
        #expect((records[1]["lost_total"] as? NSNumber)?.uint64Value == kernelCount)
    }

    @Test func perfBufferDropsCountAsTheKernelReportsThem() throws {
        let lost = LostSamples([])
        let first = lost.perfBufferLostCallback(for: "samples")
        let second = lost.perfBufferLostCallback(for: "other")
        first(3)
        second(4)
        first(5)
        let output = OutputBuffer(descriptor: -1)
        try lost.report(to: output, json: true)
        #expect(output.text == "{\"table\":\"samples\",\"lost\":8}\n{\"table\":\"other\",\"lost\":4}\n")
        #expect(lost.total == 12)
    }
}
