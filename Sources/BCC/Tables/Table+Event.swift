import BTF

extension Table {
    /// Decodes a ring buffer or perf buffer record of this table as the C
    /// struct the program sends through it (bcc's `table.event(data)`):
    /// `event.pid`, `event.comm`, ... The result is a copy: it stays valid
    /// after the callback returns.
    public func event(_ data: UnsafeRawBufferPointer) throws(BCCError) -> DecodedEvent {
        do {
            return try eventDecoding.get().decode(data)
        } catch {
            throw .event(table: name, cause: error)
        }
    }

    /// Decodes a record held in an array.
    public func event(_ data: [UInt8]) throws(BCCError) -> DecodedEvent {
        do {
            return try eventDecoding.get().decode(data)
        } catch {
            throw .event(table: name, cause: error)
        }
    }

    /// The decoder of this table's event struct (its C type and size), or
    /// the reason there is none.
    public func eventDecoder() throws(BCCError) -> EventDecoder {
        do {
            return try eventDecoding.get()
        } catch {
            throw .event(table: name, cause: error)
        }
    }

    /// A loader of this table's records into `type`, whose layout is checked
    /// against the recorded event struct now: a mismatch names the field.
    /// Loading a record then allocates nothing.
    public func typedEventDecoder<Event: BitwiseCopyable>(_ type: Event.Type) throws(BCCError) -> TypedEventDecoder<Event> {
        do throws(EventDecodingError) {
            let decoder = try eventDecoding.get()
            guard let btf else { throw .eventTypeNotRecorded(table: name) }
            return try TypedEventDecoder(type, btf: btf, typeID: decoder.typeID)
        } catch {
            throw .event(table: name, cause: error)
        }
    }
}
