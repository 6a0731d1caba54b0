import EBPF

/// bcc's `table.open_ring_buffer` and `table.open_perf_buffer`, plus the
/// drop count bcc cannot report.
extension Table {
    /// Hands each record of this BPF_RINGBUF_OUTPUT table to `callback` when
    /// the object's ``BPF/ringBufferPoll(timeout:)`` or
    /// ``BPF/ringBufferConsume(max:)`` runs. The bytes are the record
    /// (`count` is its size) and are valid only during the call: decode with
    /// ``event(_:)``, which copies.
    public func openRingBuffer(_ callback: @escaping (UnsafeRawBufferPointer) throws -> Void) throws(BCCError) {
        let owner = try outputOwner(kind: .ringBuffer, operation: "openRingBuffer")
        try owner.outputBuffers.addRing(map, name: name, handler: callback)
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
            let owner = try outputOwner(kind: .ringBuffer, operation: "lostRecords")
            do {
                let counter = try owner.lostCounter(forRing: name)
                let perCPU = try counter.lookupPerCPU(UInt32(0), as: UInt64.self) ?? []
                return perCPU.reduce(0, &+)
            } catch let error as BCCError {
                throw error
            } catch {
                throw .kernel(operation: "read the lost-record counter of", object: "table '\(name)'", cause: error)
            }
        }
    }

    /// Hands each sample of this BPF_PERF_OUTPUT table to `callback` (CPU,
    /// bytes as perf pads them) when ``BPF/perfBufferPoll(timeout:)`` runs;
    /// `pageCount` data pages per CPU (a power of two), and `lostCallback`
    /// gets the number of samples the kernel dropped when a CPU's ring was
    /// full (bcc's `lost_cb`). The kernel wakes a waiting poll after every
    /// `wakeupEvents` samples on a CPU (bcc's `wakeup_events`).
    public func openPerfBuffer(pageCount: Int = 8, lostCallback: ((_ lost: UInt64) -> Void)? = nil, wakeupEvents: Int = 1,
                               _ callback: @escaping (_ cpu: Int, _ data: UnsafeRawBufferPointer) throws -> Void) throws(BCCError) {
        let owner = try outputOwner(kind: .perfOutput, operation: "openPerfBuffer")
        try owner.outputBuffers.addPerfBuffer(map, name: name, pageCount: pageCount, wakeupEvents: wakeupEvents, onSample: callback,
                                              onLost: lostCallback.map { lost in { _, count in lost(count) } })
    }

    private func outputOwner(kind: TableDefinition.Kind, operation: String) throws(BCCError) -> BPF {
        guard let bpf else {
            throw .invalidUse(object: "table '\(name)'", detail: "\(operation) needs a table reached through its BPF object (b[\"\(name)\"])")
        }
        let definition: TableDefinition
        do { definition = try bpf.table(named: name) } catch { throw .tableNotFound(name: name, available: bpf.tables.map(\.name)) }
        guard definition.kind == kind else {
            let macro = kind == .ringBuffer ? "BPF_RINGBUF_OUTPUT" : "BPF_PERF_OUTPUT"
            throw .invalidUse(object: "table '\(name)'", detail: "\(operation) needs a \(macro) table")
        }
        return bpf
    }
}

/// The records of a BPF_RINGBUF_OUTPUT table as AsyncSequences, each over a
/// reader of its own (not the object's poller): iterate one per table.
extension Table {
    /// The table's records, copied, as they arrive; the sequence ends when
    /// the iterating task is cancelled.
    public func records() throws(BCCError) -> RingBufferRecords {
        let owner = try outputOwner(kind: .ringBuffer, operation: "records")
        guard !owner.outputBuffers.isOpen(name) else {
            throw .invalidUse(object: "table '\(name)'", detail: "is open with a callback; a ring has one reader")
        }
        do {
            return try RingBuffer(map: map).records()
        } catch {
            throw .kernel(operation: "open ring buffer", object: "table '\(name)'", cause: error)
        }
    }

    /// The table's records decoded as its event struct (``event(_:)``).
    public func decodedEvents() throws(BCCError) -> AsyncThrowingMapSequence<RingBufferRecords, DecodedEvent> {
        try records().map { record in try self.event(record) }
    }

    /// The table's records loaded into `Event`, whose layout is checked
    /// against the C struct's BTF now.
    public func decodedEvents<Event: BitwiseCopyable>(as type: Event.Type) throws(BCCError) -> AsyncThrowingMapSequence<RingBufferRecords, Event> {
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
