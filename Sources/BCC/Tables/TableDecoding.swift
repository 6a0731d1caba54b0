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
        let keyDecoder = try valueDecoder(for: keyType, size: keySize, what: "key")
        let valueDecoder = try valueDecoder(for: valueType, size: valueSize, what: "value")
        var result: [(key: EventValue, value: EventValue)] = []
        for key in try keys() {
            if map.type.isPerCPU {
                guard let values = try perCPUValues(key) else { continue }
                result.append((try keyDecoder(key), .array(try values.map(valueDecoder))))
            } else if let value = try self[key] {
                result.append((try keyDecoder(key), try valueDecoder(value)))
            }
        }
        return result
    }

    /// The value under the key `key` (bytes), decoded; nil when absent.
    public func decodedValue(_ key: [UInt8]) throws(BCCError) -> EventValue? {
        let decoder = try valueDecoder(for: valueType, size: valueSize, what: "value")
        if map.type.isPerCPU {
            return try perCPUValues(key).map { values throws(BCCError) in .array(try values.map(decoder)) }
        }
        return try self[key].map(decoder)
    }

    /// A function decoding bytes of BTF type `type`.
    private func valueDecoder(for type: BTFTypeID?, size: Int, what: String) throws(BCCError)
        -> ([UInt8]) throws(BCCError) -> EventValue
    {
        guard let btf, let type else {
            throw .invalidUse(object: "table '\(name)'", detail: "the map has no BTF type for its \(what)s to decode them with")
        }
        let resolved = btf.resolved(type)
        if btf.kind(of: resolved).isComposite {
            let decoder: EventDecoder
            do {
                decoder = try EventDecoder(btf: btf, typeID: resolved)
            } catch {
                throw .invalidUse(object: "table '\(name)'", detail: "cannot decode its \(what)s: \(error)")
            }
            let table = name
            return { bytes throws(BCCError) in
                do {
                    return .structure(try decoder.decode(bytes).fields)
                } catch {
                    throw .invalidUse(object: "table '\(table)'", detail: "cannot decode a \(what): \(error)")
                }
            }
        }
        let field = TableField(name: what, offset: 0, type: type, btf: btf)
        let kind = btf.kind(of: resolved)
        let enumerators = kind == .enum || kind == .enum64 ? btf.enumValues(of: resolved) : []
        return { bytes in
            guard let slice = field.slice(of: bytes) else { return .bytes(bytes) }
            if kind == .pointer { return .pointer(TableField.unsigned(slice)) }
            if !enumerators.isEmpty {
                let value = TableField.signed(slice)
                return .enumeration(name: enumerators.first { $0.signedValue == value }?.name, value: value)
            }
            switch field.encoding {
            case .signed where field.isInteger: return .signed(TableField.signed(slice))
            case .unsigned where field.isInteger: return .unsigned(TableField.unsigned(slice))
            case .charArray: return .text(String(decoding: slice.prefix { $0 != 0 }, as: UTF8.self))
            default: return .bytes(Array(slice))
            }
        }
    }
}
