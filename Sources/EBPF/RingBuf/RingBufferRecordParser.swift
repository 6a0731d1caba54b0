import CBPF

/// Reads the records of a BPF ring buffer's data area: a pure function of the
/// memory it is given and the two positions, so it can run over the kernel's
/// mapping or over crafted bytes (tests, the fuzzer).
///
/// The data area must be readable for twice the ring size: the kernel maps
/// the data pages twice, back to back, so a record that wraps around the end
/// of the ring is still contiguous.
///
/// Every record is checked against the committed bytes (`producer -
/// consumer`) before any of it is read: a corrupt length is an error, never
/// an out-of-bounds read.
public struct RingBufferRecordParser {
    /// The record header is 8 bytes: a 32-bit length with the busy and
    /// discard flags, and the kernel's page offset.
    public static let headerSize: UInt64 = 8
    /// Set in the length while a producer has reserved a record and not yet
    /// committed it.
    public static let busyBit: UInt32 = 1 << 31
    /// Set in the length of a record the producer discarded.
    public static let discardBit: UInt32 = 1 << 30

    /// One step of the parser from a consumer position.
    public enum Step {
        /// No committed bytes remain.
        case empty
        /// The record at the consumer position is reserved but not committed
        /// yet; the pass ends here and the commit will wake the consumer.
        case busy
        /// A discarded record, to be skipped; `next` is the position after it.
        case discarded(next: UInt64)
        /// A record's payload (its exact length, not rounded) and the
        /// position after it (rounded to 8).
        case sample(UnsafeRawBufferPointer, next: UInt64)
    }

    /// The data area, at least `2 * size` bytes.
    public let data: UnsafeRawBufferPointer
    /// The ring size in bytes, a power of two.
    public let size: UInt64
    /// Names the ring in errors.
    public let name: String

    /// Creates a parser over `data`, which holds a ring of `size` bytes twice.
    /// Throws when `size` is not a power of two of at least 8 bytes or the
    /// area is shorter than `2 * size`.
    public init(data: UnsafeRawBufferPointer, size: Int, name: String) throws(BPFError) {
        guard size >= 8, size & (size - 1) == 0 else {
            throw BPFError.invalidArgument(
                operation: "read ring buffer", object: name,
                detail: "ring size \(size) is not a power of two of at least 8 bytes")
        }
        guard data.baseAddress != nil, data.count >= 2 * size else {
            throw BPFError.invalidArgument(
                operation: "read ring buffer", object: name,
                detail: "data area of \(data.count) bytes is shorter than twice the ring size \(size)")
        }
        self.data = data
        self.size = UInt64(size)
        self.name = name
    }

    /// Reads the record at `consumer`, given the producer position read
    /// (with acquire ordering) before this call. The header is loaded with
    /// acquire ordering, pairing with the kernel's commit.
    ///
    /// It throws only `BPFError.malformed`, but untyped on purpose: inlined
    /// into ``RingBuffer``'s record loop, the typed form costs one more
    /// instruction per record (callgrind, Benchmarks/ringbuf).
    @inline(__always)
    public func step(consumer: UInt64, producer: UInt64) throws -> Step {
        let available = producer &- consumer
        if available == 0 { return .empty }
        guard available <= size, available % 8 == 0, consumer % 8 == 0 else {
            throw corrupt(consumer: consumer, detail:
                "positions are inconsistent: producer \(producer), consumer \(consumer), ring size \(size)")
        }
        // available >= 8 here, so the header lies within the committed bytes.
        let offset = Int(consumer & (size - 1))
        let header = cbpf_load_acquire_u32(data.baseAddress! + offset)
        if header & Self.busyBit != 0 { return .busy }
        let length = UInt64(header & ~(Self.busyBit | Self.discardBit))
        let total = (length + Self.headerSize + 7) & ~7
        guard total <= available else {
            throw corrupt(consumer: consumer, detail:
                "record claims \(length) bytes but only \(available - Self.headerSize) are committed")
        }
        let next = consumer &+ total
        if header & Self.discardBit != 0 { return .discarded(next: next) }
        let payload = UnsafeRawBufferPointer(
            start: data.baseAddress! + offset + Int(Self.headerSize), count: Int(length))
        return .sample(payload, next: next)
    }

    private func corrupt(consumer: UInt64, detail: String) -> BPFError {
        .malformed(what: "ring buffer \(name) record at position \(consumer)", detail: detail)
    }
}
