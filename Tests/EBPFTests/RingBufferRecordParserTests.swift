import Testing
@testable import EBPF

/// A ring laid out in ordinary memory the way the kernel lays it out: the
/// data area twice, back to back.
private struct CraftedRing {
    let size: Int
    var ring: [UInt8]

    init(size: Int) {
        self.size = size
        ring = [UInt8](repeating: 0, count: size)
    }

    /// Writes a record header and payload at logical position `position`.
    mutating func write(at position: Int, header: UInt32, payload: [UInt8] = []) {
        let bytes = withUnsafeBytes(of: header.littleEndian) { Array($0) } + [0, 0, 0, 0] + payload
        for (index, byte) in bytes.enumerated() { ring[(position + index) & (size - 1)] = byte }
    }

    /// Runs `body` with a parser over the doubled area.
    func withParser<R>(_ body: (RingBufferRecordParser) throws -> R) throws -> R {
        let doubled = ring + ring
        return try doubled.withUnsafeBytes { try body(RingBufferRecordParser(data: $0, size: size, name: "crafted")) }
    }
}

/// Parses from `consumer` up to `producer` and returns the payloads, stopping at a busy record.
private func parseAll(_ parser: RingBufferRecordParser, consumer start: UInt64, producer: UInt64) throws -> (payloads: [[UInt8]], end: UInt64) {
    var consumer = start
    var payloads: [[UInt8]] = []
    while true {
        switch try parser.step(consumer: consumer, producer: producer) {
        case .empty, .busy: return (payloads, consumer)
        case .discarded(let next): consumer = next
        case .sample(let bytes, let next):
            payloads.append(Array(bytes))
            consumer = next
        }
    }
}

@Suite struct RingBufferRecordParserTests {
    @Test func samplesAreRoundedToEightAndDiscardsSkipped() throws {
        var crafted = CraftedRing(size: 64)
        crafted.write(at: 0, header: 3, payload: [1, 2, 3])                     // 8 + 3 -> 16
        crafted.write(at: 16, header: 4 | RingBufferRecordParser.discardBit)   // 8 + 4 -> 16
        crafted.write(at: 32, header: 8, payload: Array(10..<18))              // 8 + 8 -> 16
        let result = try crafted.withParser { try parseAll($0, consumer: 0, producer: 48) }
        #expect(result.payloads == [[1, 2, 3], Array(10..<18)])
        #expect(result.end == 48)
    }

    @Test func busyRecordEndsThePass() throws {
        var crafted = CraftedRing(size: 64)
        crafted.write(at: 0, header: 1, payload: [7])
        crafted.write(at: 16, header: 8 | RingBufferRecordParser.busyBit)
        let result = try crafted.withParser { try parseAll($0, consumer: 0, producer: 32) }
        #expect(result.payloads == [[7]])
        #expect(result.end == 16)
    }

    @Test func recordThatWrapsIsContiguous() throws {
        var crafted = CraftedRing(size: 64)
        let payload = Array(UInt8(100)..<UInt8(120))                            // 20 bytes -> 32 with header
        crafted.write(at: 48 + 64, header: UInt32(payload.count), payload: payload)
        let result = try crafted.withParser { try parseAll($0, consumer: 112, producer: 144) }
        #expect(result.payloads == [payload])
        #expect(result.end == 144)
    }

    @Test func corruptLengthIsAnErrorNotAnOverread() throws {
        var crafted = CraftedRing(size: 64)
        crafted.write(at: 0, header: 4000, payload: [1])
        let error = expectBPFError(.malformed) {
            try crafted.withParser { try parseAll($0, consumer: 0, producer: 16) }
        }
        guard case .malformed(let what, let detail) = error else {
            Issue.record("expected .malformed, got \(String(describing: error))")
            return
        }
        #expect(what.contains("crafted") && what.contains("position 0"))
        #expect(detail.contains("4000"))
    }

    @Test func inconsistentPositionsAreAnError() throws {
        let crafted = CraftedRing(size: 64)
        expectBPFError(.malformed) { try crafted.withParser { try $0.step(consumer: 0, producer: 4096) } }
        expectBPFError(.malformed) { try crafted.withParser { try $0.step(consumer: 3, producer: 19) } }
        expectBPFError(.malformed) { try crafted.withParser { try $0.step(consumer: 0, producer: 4) } }
    }

    @Test func aLimitedSpanStopsBeforeARecordAcrossItsEndAndExtends() throws {
        var crafted = CraftedRing(size: 64)
        crafted.write(at: 0, header: 3, payload: [1, 2, 3])                     // 16 bytes
        crafted.write(at: 16, header: 20, payload: Array(0..<20))              // 32 bytes, across 24
        try crafted.withParser { parser in
            var span = try parser.span(consumer: 0, producer: 48, limit: 24)
            guard case .sample(let first) = parser.next(in: &span) else { Issue.record("expected a sample"); return }
            #expect(Array(first) == [1, 2, 3])
            guard case .pastEnd(let total) = parser.next(in: &span) else { Issue.record("expected pastEnd"); return }
            #expect(total == 32 && span.position == 16 && span.remaining == 8)
            try parser.extend(&span, toCover: total, producer: 48, limit: 24)
            guard case .sample(let second) = parser.next(in: &span) else { Issue.record("expected a sample"); return }
            #expect(Array(second) == Array(0..<20))
            guard case .end = parser.next(in: &span) else { Issue.record("expected the end"); return }
            #expect(span.position == 48)
        }
    }

    @Test func aDiscardedRecordAcrossASpansEndIsSkippedAfterExtending() throws {
        var crafted = CraftedRing(size: 64)
        crafted.write(at: 0, header: 20 | RingBufferRecordParser.discardBit)   // 32 bytes, across 16
        crafted.write(at: 32, header: 2, payload: [4, 5])
        try crafted.withParser { parser in
            var span = try parser.span(consumer: 0, producer: 48, limit: 16)
            guard case .pastEnd(let total) = parser.next(in: &span) else { Issue.record("expected pastEnd"); return }
            #expect(total == 32)
            try parser.extend(&span, toCover: total, producer: 48, limit: 16)
            guard case .discarded = parser.next(in: &span) else { Issue.record("expected the discard"); return }
            #expect(span.position == 32)
            // The extended span covered that record only; the next span has the rest.
            guard case .end = parser.next(in: &span) else { Issue.record("expected the span's end"); return }
            span = try parser.span(consumer: span.position, producer: 48, limit: 16)
            guard case .sample(let bytes) = parser.next(in: &span) else { Issue.record("expected a sample"); return }
            #expect(Array(bytes) == [4, 5] && span.position == 48)
        }
    }

    @Test func aRecordPastTheProducerCannotBeCoveredByExtending() throws {
        var crafted = CraftedRing(size: 64)
        crafted.write(at: 0, header: 40, payload: [9])                          // claims 48 bytes
        let error = expectBPFError(.malformed) {
            try crafted.withParser { parser in
                var span = try parser.span(consumer: 0, producer: 16, limit: 8)
                guard case .pastEnd(let total) = parser.next(in: &span) else { return }
                try parser.extend(&span, toCover: total, producer: 16, limit: 8)
            }
        }
        guard case .malformed(_, let detail) = error else { return }
        #expect(detail.contains("40") && detail.contains("8 are committed"))
    }

    @Test func areaMustHoldTheRingTwice() {
        let bytes = [UInt8](repeating: 0, count: 64)
        bytes.withUnsafeBytes { area in
            expectBPFError(.invalidArgument) { try RingBufferRecordParser(data: area, size: 64, name: "short") }
            expectBPFError(.invalidArgument) { try RingBufferRecordParser(data: area, size: 24, name: "odd") }
        }
    }
}
