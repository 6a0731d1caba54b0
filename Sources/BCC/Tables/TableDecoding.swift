// Keys and values decoded from the map's BTF types, as event() decodes records.
import BTF

extension Table {
    /// Every entry with its key and value decoded from the map's BTF types:
    /// structs as ``EventValue/structure(_:)``, integers, enums and char
    /// arrays as their scalar cases; per-CPU values as an array with one
    /// value per possible CPU.
    ///
    /// - Throws: ``BCCError/invalidUse(object:detail:)`` when the map has no
    ///   BTF for its keys or values (a map declared without types).
    public func decodedItems() throws(BCCError) -> [(key: EventValue, value: EventValue)] {
        let keyDecoder = try valueDecoder(for: keyType, what: "key")
        let valueDecoder = try valueDecoder(for: valueType, what: "value")
        var result: [(key: EventValue, value: EventValue)] = []
        for key in try keys() {
            if map.type.isPerCPU {
                guard let values = try perCPUValues(key) else { continue }
                result.append((keyDecoder(key), .array(values.map(valueDecoder))))
            } else if let value = try self[key] {
                result.append((keyDecoder(key), valueDecoder(value)))
            }
        }
        return result
    }

    /// The value under the key `key` (bytes), decoded; nil when absent.
    public func decodedValue(_ key: [UInt8]) throws(BCCError) -> EventValue? {
        let decoder = try valueDecoder(for: valueType, what: "value")
        if map.type.isPerCPU {
            return try perCPUValues(key).map { values in .array(values.map(decoder)) }
        }
        return try self[key].map(decoder)
    }

    /// A function decoding bytes of BTF type `type` with the event
    /// decoder; bytes shorter than the type stay bytes.
    private func valueDecoder(for type: BTFTypeID?, what: String) throws(BCCError) -> ([UInt8]) -> EventValue {
        guard let btf, let type else {
            throw .invalidUse(object: "table '\(name)'", detail: "the map has no BTF type for its \(what)s to decode them with")
        }
        let member: BTFMemberLayout
        do throws(EventDecodingError) {
            let cName = btf.cSpelling(of: type)
            let layout = try EventDecodingError.layout(of: type, in: btf, root: cName)
            guard layout.valueCount <= EventDecoder.valueLimit else { throw .tooManyValues(type: cName, limit: EventDecoder.valueLimit) }
            member = BTFMemberLayout(name: what, type: type, bitOffset: 0, value: layout)
        } catch {
            throw .invalidUse(object: "table '\(name)'", detail: "cannot decode its \(what)s: \(error)")
        }
        return { bytes in bytes.withUnsafeBytes { EventDecoder.value(of: member, in: $0) } ?? .bytes(bytes) }
    }
}
