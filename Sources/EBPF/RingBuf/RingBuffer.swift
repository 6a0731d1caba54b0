import CBPF
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The consumer side of one `BPF_MAP_TYPE_RINGBUF` map.
///
/// The consumer page is mapped read-write; the producer page and the data
/// area (mapped twice by the kernel, so wrapped records are contiguous) are
/// mapped read-only. Records are handed to the caller in place, without a
/// copy or an allocation, and the consumer position is published once per
/// pass rather than once per record, followed by a full fence before the
/// producer position is read again so that no committed record is left
/// without a wakeup (the lost-wakeup race aya fixed).
///
/// One thread consumes a ring at a time. To wait for records, use
/// ``RingBufferPoller`` (epoll over several rings), ``records()`` (an
/// AsyncSequence), or register ``fileDescriptor`` with your own event loop.
public final class RingBuffer {
    /// The map's name, used in errors.
    public let name: String
    /// The size of the data area in bytes (the map's max_entries).
    public let size: Int

    /// The ring's own descriptor (a duplicate of the map's), pollable for
    /// readability; valid until ``close()``.
    public var fileDescriptor: Int32 { fd.rawValue }

    private let fd: OwnedFD
    private let consumerMapping: SharedMemoryMapping
    private let producerMapping: SharedMemoryMapping
    private let consumerPage: UnsafeMutableRawPointer
    private let producerPage: UnsafeRawPointer
    private let parser: RingBufferRecordParser
    /// Published this often within one pass, so a long pass under a fast
    /// producer does not hold the whole ring.
    private let publishInterval: UInt64
    /// The consumer position last published to the kernel. (The per-record
    /// state is only touched by the thread consuming the ring: no dynamic
    /// exclusivity checks, which callgrind counted on every record.)
    @exclusivity(unchecked) private var position: UInt64
    /// Where reading continues (`span.position`: ahead of `position` while a
    /// pass has not been published yet), and the committed bytes after it
    /// that ``takeRecord(into:spins:)`` has checked and not read yet.
    @exclusivity(unchecked) private var span: RingBufferRecordParser.Span
    /// Where reading continues.
    private var cursor: UInt64 { span.position }
    private var isClosed = false

    /// Maps the ring buffer `map` for reading. Throws when the map is not a
    /// ring buffer or the mappings fail.
    public convenience init(map: Map) throws(BPFError) {
        guard map.type == .ringBuffer else {
            throw BPFError.invalidArgument(
                operation: "open ring buffer", object: "map \(map.name)",
                detail: "map type is \(map.type), not ring buffer")
        }
        try self.init(mapFD: map.fd.rawValue, size: Int(map.maxEntries), name: map.name)
    }

    /// Maps the ring buffer behind `mapFD` (which is duplicated, so the
    /// caller keeps its own descriptor), whose data area is `size` bytes.
    public init(mapFD: Int32, size: Int, name: String) throws(BPFError) {
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard size > 0, size & (size - 1) == 0, size % pageSize == 0 else {
            throw BPFError.invalidArgument(
                operation: "open ring buffer", object: "map \(name)",
                detail: "size \(size) is not a power of two multiple of the page size \(pageSize)")
        }
        let duplicate = fcntl(mapFD, F_DUPFD_CLOEXEC, 0)
        guard duplicate >= 0 else {
            throw BPFError.system(operation: "duplicate descriptor \(mapFD)", object: "ring buffer \(name)", errno: errno)
        }
        fd = OwnedFD(rawValue: duplicate)
        consumerMapping = try SharedMemoryMapping(
            fd: duplicate, length: pageSize, offset: 0, writable: true, object: "ring buffer \(name) consumer page")
        producerMapping = try SharedMemoryMapping(
            fd: duplicate, length: pageSize + 2 * size, offset: pageSize, writable: false,
            object: "ring buffer \(name) producer page and data")
        consumerPage = consumerMapping.address!
        producerPage = UnsafeRawPointer(producerMapping.address!)
        parser = try RingBufferRecordParser(
            data: UnsafeRawBufferPointer(start: producerPage + pageSize, count: 2 * size), size: size, name: name)
        self.name = name
        self.size = size
        publishInterval = UInt64(max(size / 4, pageSize))
        // A reused or pinned map may already have been consumed past 0.
        position = cbpf_load_acquire_u64(consumerPage)
        span = RingBufferRecordParser.Span(position: position)
    }

    deinit { close() }

    // MARK: Positions

    /// The consumer position as published to the kernel.
    public var consumerPosition: UInt64 {
        isClosed ? position : cbpf_load_acquire_u64(consumerPage)
    }

    /// The producer position: bytes ever reserved by producers, including
    /// records still being written.
    public var producerPosition: UInt64 {
        isClosed ? position : cbpf_load_acquire_u64(producerPage)
    }

    /// Where this reader continues (at or ahead of the published consumer position).
    var readPosition: UInt64 { cursor }

    /// True when producers have reserved bytes this reader has not read yet
    /// (they may still be being written).
    var hasUnreadBytes: Bool {
        !isClosed && cbpf_load_acquire_u64(producerPage) != cursor
    }

    /// Bytes reserved but not yet consumed (headers and padding included).
    /// A momentary snapshot.
    public var availableBytes: Int { Int(producerPosition &- consumerPosition) }

    // MARK: Consuming

    /// Hands every committed record, up to `limit`, to `handler` and returns
    /// how many it handled. Discarded records are skipped and not counted;
    /// a record still being written ends the call.
    ///
    /// The buffer is valid only during the call. If `handler` throws, its
    /// record counts as consumed, the error is rethrown, and the records
    /// after it stay in the ring. A record whose length does not fit in the
    /// committed bytes throws ``BPFError/malformed(what:detail:)``.
    @discardableResult
    public func consume(max limit: Int = .max, _ handler: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        try withoutActuallyEscaping(handler) { handler in
            var closure = RingBufferClosureHandler(handler)
            return try consume(max: limit, publishing: .always, &closure)
        }
    }

    /// ``consume(max:_:)`` with a handler whose type the compiler sees: the
    /// record loop is specialized in the caller's module with `handler`'s
    /// `handle(_:)` inlined (see ``RingBufferRecordHandler``).
    @inlinable @discardableResult
    public func consume<Handler: RingBufferRecordHandler>(max limit: Int = .max, into handler: inout Handler) throws -> Int {
        try consume(max: limit, publishing: .always, &handler)
    }

    /// When a pass that reached the end of the committed records publishes
    /// the consumer position.
    @usableFromInline
    enum PassEnd {
        /// Always, behind a full fence, then re-checks the producer: the
        /// next commit is guaranteed to wake the ring's waiters.
        case always
        /// Fully only when the pass handed over no record. A pass that did
        /// publishes the start of its last record, for a caller that comes
        /// back before it waits (``RingBufferPoller``): the kernel wakes a
        /// consumer only when its published position equals the record
        /// being committed, so the next commit raises no wakeup (irq_work,
        /// an interrupt on the producer's CPU) for a consumer that is not
        /// waiting, and producers are kept from one record's space only.
        case whenIdle
    }

    /// The record loop, inlinable so that it is specialized for each
    /// handler type. The positions are checked once per span (one producer
    /// position, at most `publishInterval` bytes); a record then costs one
    /// compare, of where it ends against where the span ends, which also
    /// turns away busy and discarded records and the span's end
    /// (``RingBufferRecordParser/sample(at:before:)``).
    ///
    /// What only the span's ends need lives in `pass`, handled out of line.
    /// The loop's own state is a local ``Cursor`` (and a copy of the
    /// handler) whose address never escapes, so it can stay in registers;
    /// the out-of-line calls get it through `pass` and the loop reads it
    /// back, so none of it lives across them (callgrind: the compiler
    /// otherwise spills and reloads it on every record).
    @inlinable
    func consume<Handler: RingBufferRecordHandler>(max limit: Int, publishing passEnd: PassEnd,
                                                   _ handler: inout Handler) throws -> Int {
        var pass = try startPass(limit: limit, lazy: passEnd == .whenIdle)
        var cursor = pass.cursor
        var local = handler
        defer {
            handler = local
            pass.cursor = cursor
            finish(pass)
        }
        guard cursor.left > 0 else { return 0 }
        while true {
            if let bytes = RingBufferRecordParser.sample(at: &cursor.address, before: cursor.limit) {
                cursor.lastRecord = bytes.baseAddress
                try local.handle(bytes)
                cursor.left &-= 1
                if cursor.left == 0 { return pass.limit }
            } else {
                pass.cursor = cursor
                let more = try Pass.resume(&pass)
                cursor = pass.cursor
                guard more else { return pass.limit &- cursor.left }
            }
        }
    }

    /// Where the record loop of ``consume(max:publishing:_:)`` stands in
    /// its span: what records move (the span's end stays in the pass).
    @usableFromInline
    struct Cursor {
        /// The payload of the span's next record (``RingBufferRecordParser/Span/_address``).
        @usableFromInline var address: UnsafeRawPointer?
        /// Where the span ends (``RingBufferRecordParser/Span/_limit``).
        @usableFromInline var limit: UnsafeRawPointer?
        /// The payload of the last record this span handed out, if any.
        @usableFromInline var lastRecord: UnsafeRawPointer?
        /// Records the pass may still hand out.
        @usableFromInline var left: Int
    }

    /// Begins a pass of ``consume(max:publishing:_:)``: its first span.
    @usableFromInline
    func startPass(limit: Int, lazy: Bool) throws -> Pass {
        guard !isClosed else {
            throw BPFError.closed(object: "ring buffer \(name)")
        }
        var pass = Pass(ring: self, limit: limit, lazy: lazy)
        try pass.start(parser.span(consumer: cursor, producer: pass.producer, limit: pass.interval))
        return pass
    }

    /// Publishes where a pass of ``consume(max:publishing:_:)`` ended, or
    /// for a lazy pass where its last record starts.
    @usableFromInline
    func finish(_ pass: Pass) {
        var pass = pass
        pass.leaveSpan()
        let end = pass.span.position
        if !pass.lazy {
            pass.publish(upTo: end)
        } else if let last = pass.lastRecord, Int64(bitPattern: last &- pass.published) > 0 {
            pass.publish(upTo: last)
        }
        span = RingBufferRecordParser.Span(position: end)
        position = pass.published
    }

    /// What a pass needs at the ends of its spans: the positions it
    /// published and read, its span, and the loop's ``Cursor`` while the
    /// loop is out of line.
    @usableFromInline
    struct Pass {
        /// The ring (its parser; `unowned(unsafe)` saved a retain per pass
        /// but cost the closure handler's loop two moves per record, by
        /// callgrind).
        let ring: RingBuffer
        let consumerPage: UnsafeMutableRawPointer
        let producerPage: UnsafeRawPointer
        let interval: UInt64
        let lazy: Bool
        /// The most records the pass hands out.
        @usableFromInline let limit: Int
        var published: UInt64
        var producer: UInt64
        /// The span the loop walks; its address and remaining bytes are
        /// current only after ``leaveSpan()``.
        var span: RingBufferRecordParser.Span
        /// The loop's state, handed over at the span's ends.
        @usableFromInline var cursor: Cursor
        /// Where the last record handed over starts, once its span is left.
        var lastRecord: UInt64?
        /// Where the last publish and fence left the reader: if the ring
        /// still has nothing for us there, any later commit wakes the waiter.
        var fencedAt: UInt64?

        init(ring: RingBuffer, limit: Int, lazy: Bool) {
            self.ring = ring
            consumerPage = ring.consumerPage
            producerPage = ring.producerPage
            interval = ring.publishInterval
            self.limit = limit
            self.lazy = lazy
            published = ring.position
            producer = cbpf_load_acquire_u64(ring.producerPage)
            span = RingBufferRecordParser.Span(position: ring.cursor)
            cursor = Cursor(address: nil, limit: nil, lastRecord: nil, left: limit)
        }

        mutating func publish(upTo position: UInt64) {
            guard position != published else { return }
            cbpf_store_release_u64(consumerPage, position)
            published = position
        }

        /// Makes `next` the span the loop walks.
        mutating func start(_ next: RingBufferRecordParser.Span) {
            span = next
            cursor.address = next._address
            cursor.limit = next._limit
            cursor.lastRecord = nil
        }

        /// Brings ``span`` to where the loop stands (records move only its
        /// address), and keeps the position of the last record it handed out.
        mutating func leaveSpan() {
            span._address = cursor.address
            if let last = cursor.lastRecord { lastRecord = span.position(of: last) }
            cursor.lastRecord = nil
        }

        // What the loop calls is a static function taking the pass as an
        // argument rather than a method: a method's `self` goes in the
        // register that a closure handler's context uses, which the loop
        // would then reload for every record.

        /// The record at the loop's cursor is not a sample that fits the
        /// span: skips a discarded record, extends the span over a record
        /// across its end, or at the span's end (or a busy record) starts
        /// the next span. Returns true to go on, false when the pass is over.
        @usableFromInline @inline(never)
        static func resume(_ pass: inout Pass) throws -> Bool {
            pass.leaveSpan()
            var span = pass.span
            switch pass.ring.parser.next(in: &span) {
            case .sample:
                // Committed after the loop looked: the loop reads it again.
                return true
            case .discarded:
                pass.start(span)
                return true
            case .pastEnd(let total):
                // The span covered `interval` bytes: publish, and cover the
                // record if the producer does.
                try pass.ring.parser.extend(&span, toCover: total, producer: pass.producer, limit: pass.interval)
                pass.start(span)
                pass.publish(upTo: span.position)
                return true
            case .end, .busy:
                return try pass.startNextSpan()
            }
        }

        /// The span is used up or stopped at a busy record: starts the next
        /// span and returns true, or returns false when the pass is over.
        /// Before it waits, a reader publishes and fences, then reads the
        /// producer once more (the lost-wakeup race); a lazy pass that handed
        /// over records ends without that (see ``PassEnd/whenIdle``).
        mutating func startNextSpan() throws -> Bool {
            let position = span.position
            if span.remaining == 0 && position != producer {
                // The interval is used up, not the committed bytes.
                publish(upTo: position)
            } else {
                if fencedAt == position || (lazy && cursor.left < limit) { return false }
                publish(upTo: position)
                cbpf_fence_seq_cst()
                producer = cbpf_load_acquire_u64(producerPage)
                fencedAt = position
            }
            try start(ring.parser.span(consumer: position, producer: producer, limit: interval))
            return true
        }
    }

    /// Copies the next committed record into `buffer` (reusing its storage
    /// when nobody else holds it) and returns true; returns false when the
    /// ring has nothing more after publishing the position and fencing, so
    /// that the next commit is guaranteed to wake the ring's waiters.
    ///
    /// Records come from a span checked once (``RingBufferRecordParser/span(consumer:producer:limit:)``):
    /// a record costs one length compare and the copy; the span's end goes
    /// out of line (``nextSpan(spins:)``).
    @usableFromInline
    func takeRecord(into buffer: inout [UInt8], spins: Int) throws(BPFError) -> Bool {
        guard !isClosed else {
            throw BPFError.closed(object: "ring buffer \(name)")
        }
        while true {
            switch parser.next(in: &span) {
            case .sample(let bytes):
                if buffer.count == bytes.count {
                    // Same size as the last record (the common case): one copy,
                    // into the same storage when nobody else holds it.
                    buffer.withUnsafeMutableBytes { $0.copyMemory(from: bytes) }
                } else {
                    buffer.removeAll(keepingCapacity: true)
                    buffer.append(contentsOf: bytes)
                }
                return true
            case .discarded:
                continue
            case .end, .busy, .pastEnd:
                guard try nextSpan(spins: spins) else { return false }
            }
        }
    }

    /// Starts the span of committed records after the current one and
    /// returns true, or returns false when there is none even after
    /// publishing the position and fencing (the next commit then wakes the
    /// waiters).
    ///
    /// With `spins` > 0, an empty ring is re-checked up to that many times,
    /// with a spin-wait hint in between, before the position is published: a
    /// producer in the middle of a burst usually commits again within
    /// microseconds, and the record is then read without a wakeup (an
    /// interrupt on the producer's CPU) or a thread switch to wait for it.
    @inline(never)
    private func nextSpan(spins: Int) throws(BPFError) -> Bool {
        let at = span.position
        if at &- position >= publishInterval { publish(at) }
        var spinsLeft = spins
        var fenced = false
        while true {
            let producer = cbpf_load_acquire_u64(producerPage)
            do {
                var fresh = try parser.span(consumer: at, producer: producer, limit: publishInterval)
                var first = fresh
                switch parser.next(in: &first) {
                case .end, .busy:
                    break
                case .pastEnd(let total):
                    try parser.extend(&fresh, toCover: total, producer: producer, limit: publishInterval)
                    span = fresh
                    return true
                case .sample, .discarded:
                    span = fresh
                    return true
                }
            } catch {
                throw (error as? BPFError) ?? .malformed(what: "ring buffer \(name)", detail: "\(error)")
            }
            if fenced { return false }
            if spinsLeft > 0 {
                spinsLeft -= 1
                cbpf_cpu_relax()
                continue
            }
            publish(at)
            cbpf_fence_seq_cst()
            fenced = true
        }
    }

    /// Publishes how far this reader has read: an iterator that stops in the
    /// middle of a pass must not hand its records to the next reader again.
    func publishReadPosition() {
        guard !isClosed else { return }
        publish(cursor)
    }

    @inline(__always)
    private func publish(_ consumer: UInt64) {
        guard consumer != position else { return }
        cbpf_store_release_u64(consumerPage, consumer)
        position = consumer
    }

    // MARK: Closing

    /// Unmaps the ring and closes its descriptor; later calls do nothing.
    public func close() {
        guard !isClosed else { return }
        publish(cursor)
        isClosed = true
        producerMapping.unmap()
        consumerMapping.unmap()
        fd.close()
    }

    /// The addresses of the two mappings, for leak checks in tests.
    var mappedRanges: [(start: UInt, length: Int)] {
        [(UInt(bitPattern: consumerPage), consumerMapping.length),
         (UInt(bitPattern: producerPage), producerMapping.length)]
    }
}
