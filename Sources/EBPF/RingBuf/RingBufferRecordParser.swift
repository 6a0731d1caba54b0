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
    @inlinable public static var headerSize: UInt64 { 8 }
    /// Set in the length while a producer has reserved a record and not yet
    /// committed it.
    @inlinable public static var busyBit: UInt32 { 1 << 31 }
    /// Set in the length of a record the producer discarded.
    @inlinable public static var discardBit: UInt32 { 1 << 30 }

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

    /// A run of committed bytes whose positions were checked once
    /// (``span(consumer:producer:limit:)``), so that each record in it costs
    /// one compare: where it ends against where the span ends.
    public struct Span {
        /// Where the next record starts.
        @inlinable public var position: UInt64 { _end &- remaining }
        /// Committed bytes from ``position`` that the span still covers.
        @inlinable public var remaining: UInt64 {
            UInt64(truncatingIfNeeded: Int(bitPattern: _limit) &- Int(bitPattern: _address))
        }
        // Set only by the parser (its inlinable ``next(in:)`` included): a
        // span is the parser's word that its bytes are committed. A record
        // moves `_address` only; the rest changes per span.
        /// The payload address of the record at ``position``: the data area
        /// plus a header plus the span's first position masked to the ring,
        /// plus what the span has consumed since (not masked again: the data
        /// area is mapped twice and a span is at most a ring long). nil in
        /// an empty span made with ``init(position:)``.
        @usableFromInline var _address: UnsafeRawPointer?
        /// `_address` at the span's end.
        @usableFromInline var _limit: UnsafeRawPointer?
        /// The position where the span ends.
        @usableFromInline var _end: UInt64

        /// An empty span at `position`: where a reader stands before it has
        /// checked what follows.
        @inlinable
        public init(position: UInt64) {
            _address = nil
            _limit = nil
            _end = position
        }

        fileprivate init(position: UInt64, remaining: UInt64, address: UnsafeRawPointer) {
            _address = address
            _limit = address + Int(truncatingIfNeeded: remaining)
            _end = position &+ remaining
        }

        /// The position of the record whose payload is at `address`, one
        /// this span handed out (it may have moved on since).
        @usableFromInline
        func position(of address: UnsafeRawPointer) -> UInt64 {
            position &- UInt64(truncatingIfNeeded: _address.unsafelyUnwrapped - address)
        }
    }

    /// What ``next(in:)`` found at the span's position.
    public enum Record {
        /// The span is used up.
        case end
        /// Reserved and not committed yet: a pass ends here.
        case busy
        /// A discarded record, skipped (the span moved past it).
        case discarded
        /// A record's payload (its exact length); the span moved past it.
        case sample(UnsafeRawBufferPointer)
        /// The record (`total` bytes with header and padding) reaches past
        /// the span: check it with ``extend(_:toCover:producer:limit:)``. The
        /// span did not move.
        case pastEnd(total: UInt64)
    }

    /// The data area, at least `2 * size` bytes.
    public let data: UnsafeRawBufferPointer
    /// Where payloads start: the data area plus a header. A span addresses
    /// its records from here (``Span/_address``), so a payload is where the
    /// span stands and its header a fixed displacement.
    private let payloads: UnsafeRawPointer
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
        payloads = data.baseAddress! + Int(Self.headerSize)
        self.size = UInt64(size)
        self.name = name
    }

    /// Checks the positions once and returns the span of committed bytes
    /// from `consumer`, at most `limit` of them (records that reach past a
    /// limited span are checked against `producer` by
    /// ``extend(_:toCover:producer:limit:)``). `producer` must have been read
    /// with acquire ordering.
    ///
    /// Throws `BPFError.malformed` when the producer is more than a ring
    /// ahead, behind, or either position is not 8-byte aligned; untyped, as
    /// ``next(in:)``'s callers are (typed throws cost an instruction per
    /// record once inlined into RingBuffer's loop, by callgrind).
    @inline(__always)
    public func span(consumer: UInt64, producer: UInt64, limit: UInt64 = .max) throws -> Span {
        let available = producer &- consumer
        guard available <= size, (available | consumer) & 7 == 0 else {
            throw corrupt(consumer: consumer, detail:
                "positions are inconsistent: producer \(producer), consumer \(consumer), ring size \(size)")
        }
        return Span(position: consumer, remaining: min(available, limit, Self.maximumSpan),
                    address: payloads + Int(truncatingIfNeeded: consumer & (size &- 1)))
    }

    /// Reads the record at the span's position. The header is loaded with
    /// acquire ordering, pairing with the kernel's commit; a record is handed
    /// out only when its whole length lies inside the span.
    @inlinable
    public func next(in span: inout Span) -> Record {
        if span._address != span._limit, let bytes = Self.sample(at: &span._address, before: span._limit) {
            return .sample(bytes)
        }
        return nextAfterCheck(in: &span)
    }

    /// The sample at `address`, a payload in a span (made by this parser:
    /// never nil) that ends at `limit`, or nil when the record there is
    /// anything else: busy, discarded, past the span's end, or no record
    /// (``next(in:)`` tells which). Moves `address` past the sample.
    ///
    /// One compare decides: the busy flag (2^31) and the discard flag (2^30)
    /// make a length exceed any span (at most ``maximumSpan`` bytes, or one
    /// record of less than 2^30), and at the span's end every length does.
    /// So at the end the header is read but not used: it lies in the data
    /// area's second mapping (a span is at most a ring long), read with
    /// acquire ordering like any other.
    @inlinable @inline(__always)
    static func sample(at address: inout UnsafeRawPointer?, before limit: UnsafeRawPointer?) -> UnsafeRawBufferPointer? {
        let payload = address.unsafelyUnwrapped
        let header = cbpf_load_acquire_u32(payload - Int(headerSize))
        // Payloads are 8-aligned, so rounding the record's end rounds its
        // length; a full-width address keeps the mask an immediate operand.
        let end = (UInt(bitPattern: payload) &+ UInt(header) &+ UInt(headerSize + 7)) & ~7
        let next = UnsafeRawPointer(bitPattern: end).unsafelyUnwrapped
        guard next <= limit.unsafelyUnwrapped else { return nil }
        address = next
        return UnsafeRawBufferPointer(start: payload, count: Int(truncatingIfNeeded: header))
    }

    /// ``next(in:)`` when the record is not a sample that fits (or was not
    /// when ``sample(at:remaining:)`` looked: a producer may have committed
    /// it since).
    @usableFromInline
    func nextAfterCheck(in span: inout Span) -> Record {
        let remaining = span.remaining
        if remaining == 0 { return .end }
        // remaining >= 8 (a multiple of 8), so the header is committed bytes.
        let payload = span._address.unsafelyUnwrapped
        let header = cbpf_load_acquire_u32(payload - Int(Self.headerSize))
        if header & Self.busyBit != 0 { return .busy }
        let total = (UInt64(header) &+ (Self.headerSize + 7)) & ~7
        guard total <= remaining else {
            guard header & Self.discardBit != 0 else { return .pastEnd(total: total) }
            let discarded = (UInt64(header & ~Self.discardBit) &+ (Self.headerSize + 7)) & ~7
            guard discarded <= remaining else { return .pastEnd(total: discarded) }
            span._address = payload + Int(truncatingIfNeeded: discarded)
            return .discarded
        }
        span._address = payload + Int(truncatingIfNeeded: total)
        return .sample(UnsafeRawBufferPointer(start: payload, count: Int(truncatingIfNeeded: header)))
    }

    /// Extends a span whose next record (`total` bytes) reaches past it up to
    /// `producer` (the one the span was made with), at most `limit` bytes
    /// unless the record needs more; throws `BPFError.malformed` when the
    /// record reaches past `producer`, a corrupt length.
    public func extend(_ span: inout Span, toCover total: UInt64, producer: UInt64, limit: UInt64 = .max) throws {
        let available = producer &- span.position
        guard total <= available, available <= size else {
            let header = cbpf_load_acquire_u32(data.baseAddress.unsafelyUnwrapped + Int(span.position & (size &- 1)))
            throw corrupt(consumer: span.position, detail:
                "record claims \(header & ~(Self.busyBit | Self.discardBit)) bytes but only "
                + "\(available &- min(available, Self.headerSize)) are committed")
        }
        let position = span.position
        let remaining = max(total, min(available, limit, Self.maximumSpan))
        span._limit = span._address.unsafelyUnwrapped + Int(truncatingIfNeeded: remaining)
        span._end = position &+ remaining
    }

    /// The most bytes a span covers beyond one record: less than a length
    /// with the discard flag (2^30), which ``next(in:)`` relies on.
    @inlinable public static var maximumSpan: UInt64 { 1 << 29 }

    /// Reads the record at `consumer`, given the producer position read
    /// (with acquire ordering) before this call: one record of a fresh
    /// ``span(consumer:producer:limit:)``, for readers that keep no span.
    public func step(consumer: UInt64, producer: UInt64) throws -> Step {
        var span = try span(consumer: consumer, producer: producer)
        switch next(in: &span) {
        case .end: return .empty
        case .busy: return .busy
        case .discarded: return .discarded(next: span.position)
        case .sample(let bytes): return .sample(bytes, next: span.position)
        case .pastEnd(let total):
            try extend(&span, toCover: total, producer: producer)
            preconditionFailure("a span up to the producer covers every record that fits")
        }
    }

    private func corrupt(consumer: UInt64, detail: String) -> BPFError {
        .malformed(what: "ring buffer \(name) record at position \(consumer)", detail: detail)
    }
}
