import BCC
import BCCTools
import Foundation
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
        var lost = LostSamples([try b["events"]])
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
}
