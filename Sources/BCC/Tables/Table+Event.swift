import BTF

/// The event struct recorded for a table, planned from the program's BTF
/// on first use (tables that carry no events never pay for it) and shared
/// through `EventDecoderCache`, so each record only runs the plan.
struct EventDecoderSlot: Sendable {
    private let btf: BTF?
    private let table: String
    private let cached = LockedCache<Result<EventDecoder, EventDecodingError>>()

    init(btf: BTF?, table: String) {
        self.btf = btf
        self.table = table
    }

    /// The decoder, or why there is none.
    var decoder: Result<EventDecoder, EventDecodingError> {
        cached.value {
            guard let btf else { return .failure(.eventTypeNotRecorded(table: table)) }
            return EventDecoderCache.shared.decoder(btf: btf, table: table)
        }
    }
}

extension Table {
    /// Decodes a ring buffer or perf buffer record of this table as the C
    /// struct the program sends through it (bcc's `table.event(data)`):
    /// `event.pid`, `event.comm`, ... The result is a copy: it stays valid
    /// after the callback returns.
    public func event(_ data: UnsafeRawBufferPointer) throws(BCCError) -> DecodedEvent {
        do {
            return try events.decoder.get().decode(data)
        } catch {
            throw .event(table: name, cause: error)
        }
    }

    /// Decodes a record held in an array.
    public func event(_ data: [UInt8]) throws(BCCError) -> DecodedEvent {
        do {
            return try events.decoder.get().decode(data)
        } catch {
            throw .event(table: name, cause: error)
        }
    }

    /// The decoder of this table's event struct (its C type and size), or
    /// the reason there is none.
    public func eventDecoder() throws(BCCError) -> EventDecoder {
        do {
            return try events.decoder.get()
        } catch {
            throw .event(table: name, cause: error)
        }
    }

    /// A loader of this table's records into `type`, whose layout is checked
    /// against the recorded event struct now: a mismatch names the field.
    /// Loading a record then allocates nothing.
    public func typedEventDecoder<Event: BitwiseCopyable>(_ type: Event.Type) throws(BCCError) -> TypedEventDecoder<Event> {
        do throws(EventDecodingError) {
            let decoder = try events.decoder.get()
            guard let btf else { throw .eventTypeNotRecorded(table: name) }
            return try TypedEventDecoder(type, btf: btf, typeID: decoder.typeID)
        } catch {
            throw .event(table: name, cause: error)
        }
    }
}
