import EBPF

/// bcc's `table.open_ring_buffer` and `table.open_perf_buffer`, plus the
/// drop count bcc cannot report.
extension Table {
    /// Hands each record of this BPF_RINGBUF_OUTPUT table to `callback` when
    /// the object's ``BPF/poll(timeout:)``, ``BPF/ringBufferPoll(timeout:)``
    /// or ``BPF/ringBufferConsume(max:)`` runs. The bytes are the record
    /// (`count` is its size) and are valid only during the call: decode with
    /// ``event(_:)``, which copies.
    ///
    /// The callback may capture this table: the object keeps the callback
    /// until it is closed, and the table does not keep the object.
    public func openRingBuffer(_ callback: @escaping (UnsafeRawBufferPointer) throws -> Void) throws(BCCError) {
        try eventLoop(for: .ringBuffer, operation: "openRingBuffer").addRing(map, name: name, handler: callback)
    }

    /// ``openRingBuffer(_:)`` with a context passed to every call, as bcc's
    /// `open_ring_buffer(callback, ctx)`.
    public func openRingBuffer<Context>(context: Context, _ callback: @escaping (Context, UnsafeRawBufferPointer) throws -> Void) throws(BCCError) {
        try openRingBuffer { data in try callback(context, data) }
    }

    /// Loads each record into `Event`, a Swift mirror of the C struct the
    /// program sends (see `swift-bcc types`). The layout is checked against
    /// the struct's BTF now; a mismatch throws here, never garbage later.
    /// Records shorter than the struct are an error.
    public func openRingBuffer<Event: BitwiseCopyable>(as type: Event.Type, _ callback: @escaping (Event) throws -> Void) throws(BCCError) {
        let decoder = try typedEventDecoder(type)
        let table = name
        try openRingBuffer { data in
            do {
                try callback(try decoder.decode(data))
            } catch let error as EventDecodingError {
                throw BCCError.event(table: table, cause: error)
            }
        }
    }

    /// Records this BPF_RINGBUF_OUTPUT table dropped because the ring was
    /// full: `ringbuf_output` failed or `ringbuf_reserve` returned NULL. The
    /// rewritten program counts them in a hidden per-CPU map; this is the sum.
    public var lostRecords: UInt64 {
        get throws(BCCError) {
            _ = try eventLoop(for: .ringBuffer, operation: "lostRecords")
            guard let lostCounter else {
                throw .invalidUse(object: "table '\(name)'", detail: "has no lost-record counter")
            }
            let perCPU = try kernel("read the lost-record counter of") { try lostCounter.lookupPerCPU(UInt32(0), as: UInt64.self) }
            return (perCPU ?? []).reduce(0, &+)
        }
    }

    /// Hands each sample of this BPF_PERF_OUTPUT table to `callback` (CPU,
    /// bytes as perf pads them) when ``BPF/poll(timeout:)`` or
    /// ``BPF/perfBufferPoll(timeout:)`` runs; `pageCount` data pages per CPU
    /// (a power of two), and `lostCallback` gets the number of samples the
    /// kernel dropped when a CPU's ring was full (bcc's `lost_cb`). The
    /// kernel wakes a waiting poll after every `wakeupEvents` samples on a
    /// CPU (bcc's `wakeup_events`).
    public func openPerfBuffer(pageCount: Int = 8, lostCallback: ((_ lost: UInt64) -> Void)? = nil, wakeupEvents: Int = 1,
                               _ callback: @escaping (_ cpu: Int, _ data: UnsafeRawBufferPointer) throws -> Void) throws(BCCError) {
        try eventLoop(for: .perfOutput, operation: "openPerfBuffer")
            .addPerfBuffer(map, name: name, pageCount: pageCount, wakeupEvents: wakeupEvents, onSample: callback,
                           onLost: lostCallback.map { lost in { _, count in lost(count) } })
    }

    /// The event loop of the object this table belongs to, checking that
    /// the table is of `kind` for `operation`.
    private func eventLoop(for kind: TableDefinition.Kind, operation: String) throws(BCCError) -> EventLoop {
        guard let definition else {
            throw .invalidUse(object: "table '\(name)'", detail: "\(operation) needs a table reached through its BPF object (b[\"\(name)\"])")
        }
        guard definition.kind == kind else {
            let macro = kind == .ringBuffer ? "BPF_RINGBUF_OUTPUT" : "BPF_PERF_OUTPUT"
            throw .invalidUse(object: "table '\(name)'", detail: "\(operation) needs a \(macro) table")
        }
        return try openEventLoop()
    }
}

/// The records of a BPF_RINGBUF_OUTPUT table as AsyncSequences, each over a
/// reader of its own (not the object's poller): iterate one per table.
extension Table {
    /// The table's records, copied, as they arrive; the sequence ends when
    /// the iterating task is cancelled.
    ///
    /// The sequence holds the ring, not the table or its program: it can be
    /// handed to another task, and ends early only when the program closes
    /// its maps.
    public func records() throws(BCCError) -> sending RingBufferRecords {
        guard try !eventLoop(for: .ringBuffer, operation: "records").isOpen(name) else {
            throw .invalidUse(object: "table '\(name)'", detail: "is open with a callback; a ring has one reader")
        }
        let map = self.map
        do {
            return try RingBuffer(map: map).records()
        } catch {
            throw .kernel("open ring buffer", "table '\(name)'", error)
        }
    }

    /// The table's records decoded as its event struct (``event(_:)``).
    public func decodedEvents() throws(BCCError) -> sending AsyncThrowingMapSequence<RingBufferRecords, DecodedEvent> {
        let decoder = eventDecoding, table = name
        return try records().map { record in
            do throws(EventDecodingError) {
                return try decoder.get().decode(record)
            } catch {
                throw BCCError.event(table: table, cause: error)
            }
        }
    }

    /// The table's records loaded into `Event`, whose layout is checked
    /// against the C struct's BTF now.
    public func decodedEvents<Event: BitwiseCopyable>(as type: Event.Type) throws(BCCError) -> sending AsyncThrowingMapSequence<RingBufferRecords, Event> {
        let decoder = try typedEventDecoder(type)
        let table = name
        return try records().map { record in
            do {
                return try record.withUnsafeBytes { try decoder.decode($0) }
            } catch let error as EventDecodingError {
                throw BCCError.event(table: table, cause: error)
            }
        }
    }
}
