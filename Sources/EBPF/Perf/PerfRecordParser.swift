// The records of a perf event ring's data area, apart from the mapping and
// the event that fill it: pure over the bytes and the two positions, so it
// is fuzzed (Fuzz/fuzz-perfring.sh) like the BPF ring buffer's parser.

/// Walks the records `perf_event_output` wrote into a perf ring's data area
/// between the reader's tail and the kernel's head.
///
/// Records are 8-byte aligned and the data size is a multiple of 8, so a
/// header never wraps; a record that does wrap is copied into the caller's
/// scratch buffer. Positions or sizes that do not fit what is written are an
/// error naming `name` and the position, never a read outside the area.
struct PerfRecordParser {
    /// The data area (after the control page).
    let data: UnsafeRawPointer
    /// Its size in bytes: a multiple of 8.
    let dataSize: UInt64
    /// What the ring belongs to, for errors ("events CPU 1").
    let name: String

    static let recordLost: UInt32 = 2
    static let recordSample: UInt32 = 9
    static let headerSize: UInt64 = 8
    /// The largest record perf writes: its size field is 16 bits.
    static let maximumRecordSize = 1 << 16

    /// Hands every record from `tail` up to `head` to `onSample` (its raw
    /// data) or `onLost` (how many records the kernel dropped), advancing
    /// `tail` past each one, and returns how many samples it handled.
    /// `scratch` must hold ``maximumRecordSize`` bytes. If `onSample` throws,
    /// its record counts as consumed and the error is rethrown.
    func consume(head: UInt64, tail: inout UInt64, scratch: UnsafeMutableRawPointer,
                 onSample: (UnsafeRawBufferPointer) throws -> Void,
                 onLost: (UInt64) -> Void) throws -> Int {
        var count = 0
        while tail != head {
            let available = head &- tail
            let offset = tail % dataSize
            // More than the ring holds would make a wrapped record's copy read past the area.
            guard available >= Self.headerSize, available <= dataSize, offset % 8 == 0 else {
                throw corrupt(tail, "positions are inconsistent: head \(head), tail \(tail)")
            }
            let header = data + Int(offset)
            let type = header.loadUnaligned(as: UInt32.self)
            let size = UInt64(header.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
            guard size >= Self.headerSize, size <= available else {
                throw corrupt(tail, "record of type \(type) claims \(size) bytes, \(available) are written")
            }
            let record: UnsafeRawPointer
            if offset + size <= dataSize {
                record = header
            } else {
                let first = Int(dataSize - offset)
                scratch.copyMemory(from: header, byteCount: first)
                (scratch + first).copyMemory(from: data, byteCount: Int(size) - first)
                record = UnsafeRawPointer(scratch)
            }
            tail &+= size
            switch type {
            case Self.recordSample where size >= 12:
                let rawSize = Int(record.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
                guard 12 + UInt64(rawSize) <= size else {
                    throw corrupt(tail &- size, "sample claims \(rawSize) raw bytes in a \(size)-byte record")
                }
                count += 1
                try onSample(UnsafeRawBufferPointer(start: record + 12, count: rawSize))
            case Self.recordLost where size >= 24:
                onLost(record.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
            default:
                // Other record types (throttling, for one) carry nothing for us.
                break
            }
        }
        return count
    }

    private func corrupt(_ position: UInt64, _ detail: String) -> BPFError {
        .malformed(what: "\(name) perf record at position \(position)", detail: detail)
    }
}
