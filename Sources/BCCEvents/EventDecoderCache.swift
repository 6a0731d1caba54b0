import BTF
import Foundation

/// Event decoders shared by every `Table` over the same program BTF, so
/// `b["events"].event(data)` in a callback builds the decoding plan once,
/// not once per record (each `b["events"]` is a new `Table`).
package final class EventDecoderCache: @unchecked Sendable {
    // @unchecked: `entries` is only touched while `lock` is held.
    private let lock = NSLock()
    private var entries: [Key: Entry] = [:]

    /// The process-wide cache.
    package static let shared = EventDecoderCache()

    /// Distinct programs' tables kept; beyond this the cache starts over.
    package static let capacity = 256

    /// A BTF blob is identified by its storage's address: each entry keeps
    /// its BTF alive, so the address cannot be reused while the entry exists.
    private struct Key: Hashable {
        var address: UInt
        var count: Int
        var table: String
    }

    private struct Entry {
        var btf: BTF
        var decoder: Result<EventDecoder, EventDecodingError>
    }

    /// The decoder of the event struct recorded for `table` in `btf`.
    package func decoder(btf: BTF, table: String) -> Result<EventDecoder, EventDecodingError> {
        let bytes = btf.bytes
        let address = bytes.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        let key = Key(address: address, count: bytes.count, table: table)
        lock.lock()
        defer { lock.unlock() }
        if let entry = entries[key] { return entry.decoder }
        let decoder = Result { () throws(EventDecodingError) in try EventDecoder(btf: btf, table: table) }
        if entries.count >= Self.capacity { entries.removeAll() }
        entries[key] = Entry(btf: btf, decoder: decoder)
        return decoder
    }
}
