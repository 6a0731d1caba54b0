// libFuzzer target for RingBufferRecordParser: the input is a consumer
// position, a producer position and the ring's bytes; the parser must
// either walk the records inside the committed bytes or throw, and never
// read outside the (exactly sized, AddressSanitizer-guarded) data area.
@testable import EBPF

/// Every payload byte is summed into here, so the optimizer keeps the reads
/// that AddressSanitizer checks.
nonisolated(unsafe) var payloadChecksum: UInt8 = 0

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRingBufferRecords(_ start: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: start, count: count)
    guard input.count >= 16 else { return 0 }
    let consumer = input.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
    let producer = input.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
    let ringBytes = input[16...]
    var size = 8
    while size * 2 <= ringBytes.count { size *= 2 }
    let area = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * size, alignment: 8)
    defer { area.deallocate() }
    area.initializeMemory(as: UInt8.self, repeating: 0)
    for half in 0..<2 {
        for (index, byte) in ringBytes.prefix(size).enumerated() { area[half * size + index] = byte }
    }
    guard let parser = try? RingBufferRecordParser(data: UnsafeRawBufferPointer(area), size: size, name: "fuzz") else {
        fatalError("a power-of-two ring over twice its size must be accepted")
    }
    // The span path, as RingBuffer reads: positions checked once, spans of
    // at most a quarter of the ring, records across a span's end extended.
    if var span = try? parser.span(consumer: consumer, producer: producer, limit: UInt64(size / 4)) {
        walk: for _ in 0..<4096 {
            let start = span.position
            // The record loop's one-compare check (RingBuffer.consume), which
            // reads the header even at the span's end: it must agree with
            // next(in:) on every sample.
            var address = span._address
            let fast = span.remaining == 0 && span._address == nil
                ? nil : RingBufferRecordParser.sample(at: &address, before: span._limit)
            let step = parser.next(in: &span)
            if let fast {
                guard case .sample(let bytes) = step, bytes.baseAddress == fast.baseAddress, bytes.count == fast.count,
                      address == span._address else {
                    preconditionFailure("the loop's check took a record next(in:) does not")
                }
            }
            switch step {
            case .end:
                guard span.position != producer,
                      let next = try? parser.span(consumer: span.position, producer: producer, limit: UInt64(size / 4))
                else { break walk }
                span = next
            case .busy:
                break walk
            case .discarded:
                precondition(span.position &- start <= producer &- start, "discard moved past the producer")
            case .sample(let bytes):
                precondition(span.position &- start <= producer &- start, "sample moved past the producer")
                for byte in bytes { payloadChecksum &+= byte }
            case .pastEnd(let total):
                guard (try? parser.extend(&span, toCover: total, producer: producer, limit: UInt64(size / 4))) != nil else { break walk }
            }
        }
    }
    var position = consumer
    for _ in 0..<4096 {
        guard let step = try? parser.step(consumer: position, producer: producer) else { break }
        switch step {
        case .empty, .busy:
            return 0
        case .discarded(let next):
            precondition(next &- position <= producer &- position, "discard moved past the producer")
            position = next
        case .sample(let bytes, let next):
            precondition(next &- position <= producer &- position, "sample moved past the producer")
            for byte in bytes { payloadChecksum &+= byte }
            position = next
        }
    }
    return 0
}
