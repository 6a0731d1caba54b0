// libFuzzer target for PerfRecordParser: the input is the kernel's head
// position, the reader's tail position and the data area's bytes; the
// parser must walk the records between them or throw, and never read
// outside the (exactly sized, AddressSanitizer-guarded) data area.
@testable import EBPF

/// Every payload byte is summed into here, so the optimizer keeps the reads
/// that AddressSanitizer checks.
nonisolated(unsafe) var payloadChecksum: UInt8 = 0

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPerfRecords(_ start: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: start, count: count)
    guard input.count >= 24 else { return 0 }
    let head = input.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
    let tail = input.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
    // The data area: the rest, cut to a multiple of 8 as perf's pages are.
    let areaBytes = input[16...].prefix((input.count - 16) & ~7)
    let area = UnsafeMutableRawBufferPointer.allocate(byteCount: areaBytes.count, alignment: 8)
    defer { area.deallocate() }
    area.copyMemory(from: UnsafeRawBufferPointer(rebasing: areaBytes))
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: PerfRecordParser.maximumRecordSize, alignment: 8)
    defer { scratch.deallocate() }
    let parser = PerfRecordParser(data: UnsafeRawPointer(area.baseAddress!), dataSize: UInt64(area.count), name: "fuzz")
    var position = tail, samples = 0
    let handled = try? parser.consume(head: head, tail: &position, scratch: scratch, onSample: { bytes in
        samples += 1
        for byte in bytes { payloadChecksum &+= byte }
    }, onLost: { _ in })
    precondition(position &- tail <= head &- tail, "the parser moved past the head")
    if let handled { precondition(handled == samples && position == head, "a walk that succeeds ends at the head") }
    return 0
}
