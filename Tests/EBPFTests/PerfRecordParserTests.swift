import Testing
@testable import EBPF

/// PerfRecordParser over a data area in ordinary memory, laid out as the
/// kernel writes perf records: header (type, misc, size), then the body.
struct PerfRecordParserTests {
    /// A record of `type` with `body`, padded to 8 bytes as perf pads it.
    private func record(type: UInt32, body: [UInt8]) -> [UInt8] {
        let size = (8 + body.count + 7) & ~7
        let header = withUnsafeBytes(of: type.littleEndian) { Array($0) } + [0, 0]
            + withUnsafeBytes(of: UInt16(size).littleEndian) { Array($0) }
        return header + body + [UInt8](repeating: 0, count: size - 8 - body.count)
    }

    private func sample(_ raw: [UInt8]) -> [UInt8] {
        record(type: PerfRecordParser.recordSample, body: withUnsafeBytes(of: UInt32(raw.count).littleEndian) { Array($0) } + raw)
    }

    /// Parses `area` from `tail` to `head`: the samples, the lost counts and where it stopped.
    private func parse(_ area: [UInt8], head: UInt64, tail start: UInt64) throws -> (samples: [[UInt8]], lost: [UInt64], tail: UInt64) {
        var samples: [[UInt8]] = [], lost: [UInt64] = [], tail = start
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: PerfRecordParser.maximumRecordSize, alignment: 8)
        defer { scratch.deallocate() }
        try area.withUnsafeBytes { bytes in
            let parser = PerfRecordParser(data: bytes.baseAddress!, dataSize: UInt64(bytes.count), name: "events CPU 0")
            _ = try parser.consume(head: head, tail: &tail, scratch: scratch,
                                   onSample: { samples.append(Array($0)) }, onLost: { lost.append($0) })
        }
        return (samples, lost, tail)
    }

    @Test func samplesAndLostRecordsInOrder() throws {
        let lostRecord = record(type: PerfRecordParser.recordLost,
                                body: [UInt8](repeating: 0, count: 8) + withUnsafeBytes(of: UInt64(7).littleEndian) { Array($0) })
        let area = sample([1, 2, 3]) + lostRecord + sample([4, 5, 6, 7, 8])
        let parsed = try parse(area + [UInt8](repeating: 0, count: 64 - area.count), head: UInt64(area.count), tail: 0)
        #expect(parsed.samples == [[1, 2, 3], [4, 5, 6, 7, 8]])
        #expect(parsed.lost == [7])
        #expect(parsed.tail == UInt64(area.count))
    }

    /// A record across the end of the area is put together from both ends.
    @Test func aRecordThatWrapsIsReassembled() throws {
        let wrapped = sample(Array(1...12))  // 24 bytes: 16 at the end of the area, 8 at its start
        var area = [UInt8](repeating: 0, count: 32)
        for (index, byte) in wrapped.enumerated() { area[(16 + index) % 32] = byte }
        let parsed = try parse(area, head: 16 + 24, tail: 16)
        #expect(parsed.samples == [Array(1...12)])
    }

    /// A size past what the kernel wrote is an error naming the ring and the
    /// position, not a read of bytes that were never written.
    @Test func aSizePastTheHeadIsAnErrorNamingTheRing() throws {
        var area = sample([1, 2, 3, 4])
        area[6] = 0xf0  // the size field: 240 bytes, 16 written
        let error = #expect(throws: BPFError.self) { try parse(area + [UInt8](repeating: 0, count: 256), head: 16, tail: 0) }
        #expect(String(describing: error!).contains("events CPU 0 perf record at position 0"))
        // Positions further apart than the area holds are refused too.
        #expect(throws: BPFError.self) { try parse([UInt8](repeating: 0, count: 64), head: 1024, tail: 0) }
    }
}
