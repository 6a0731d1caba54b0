import BTF
import ELF

// MARK: - BTF-defined maps

extension ObjectContext {
    /// Decodes the maps in `.maps`: each variable of the `.maps` DATASEC is a
    /// struct whose members encode the map's attributes:
    /// `__uint(name, N)` is `int (*name)[N]` and `__type(name, T)` is `T *name`.
    func btfMaps(btf: BTF?) throws(BPFObjectError) -> [MapSpec] {
        guard let section = elf.section(named: ".maps") else { return [] }
        guard let btf else {
            throw .malformed(what: "section .maps", detail: "BTF-defined maps need the object's .BTF (compile with -g)")
        }
        guard let datasec = btf.firstType(named: ".maps", kind: .dataSection) else {
            throw .malformed(what: "section .maps", detail: "the object's BTF has no .maps DATASEC")
        }
        let mapSymbols = symbols.filter { $0.sectionIndex == section.index && $0.type == ELFSymbol.Kind.object }
        var maps: [MapSpec] = []
        for entry in btf.dataSectionEntries(of: datasec.id) {
            let name = btf.name(of: entry.type)
            guard btf.kind(of: entry.type) == .variable else {
                throw .malformed(what: "map '\(name)'", detail: "entry of .maps is a \(btf.kind(of: entry.type)), not a variable")
            }
            guard mapSymbols.contains(where: { $0.name == name }) else {
                throw .malformed(what: "map '\(name)'", detail: "no symbol in section .maps")
            }
            let definition = btf.resolved(btf.type(id: entry.type)?.referencedType ?? .void)
            maps.append(try mapSpec(named: name, definition: definition, btf: btf))
        }
        return maps
    }

    private func mapSpec(named name: String, definition: BTFTypeID, btf: BTF) throws(BPFObjectError) -> MapSpec {
        let what = "map '\(name)'"
        guard btf.kind(of: definition) == .struct else {
            throw .malformed(what: what, detail: "definition is a \(btf.kind(of: definition)), not a struct")
        }
        var spec = MapSpec(name: name, type: .unspecified, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0,
                           keyTypeID: .void, valueTypeID: .void, initialValue: nil, freezeAfterLoad: false)
        var sawType = false

        /// N from `int (*member)[N]`.
        func number(_ member: BTFMember) throws(BPFObjectError) -> Int {
            let pointer = btf.skippingModifiers(member.type)
            guard btf.kind(of: pointer) == .pointer, let target = btf.type(id: pointer)?.referencedType,
                  let array = btf.array(of: btf.skippingModifiers(target)) else {
                throw .malformed(what: "\(what) field '\(member.name)'", detail: "expected __uint(\(member.name), N)")
            }
            return array.count
        }
        /// T and sizeof(T) from `T *member`.
        func pointee(_ member: BTFMember) throws(BPFObjectError) -> (BTFTypeID, Int) {
            let pointer = btf.skippingModifiers(member.type)
            guard btf.kind(of: pointer) == .pointer, let target = btf.type(id: pointer)?.referencedType,
                  let size = btf.size(of: target) else {
                throw .malformed(what: "\(what) field '\(member.name)'", detail: "expected __type(\(member.name), T) with a sized T")
            }
            return (target, size)
        }

        for member in btf.members(of: definition) {
            switch member.name {
            case "type":
                spec.type = MapType(rawValue: UInt32(truncatingIfNeeded: try number(member)))
                sawType = true
            case "max_entries": spec.maxEntries = try number(member)
            case "map_flags": spec.flags = UInt32(truncatingIfNeeded: try number(member))
            case "key_size": spec.keySize = try number(member)
            case "value_size": spec.valueSize = try number(member)
            case "key":
                let (type, size) = try pointee(member)
                (spec.keyTypeID, spec.keySize) = (type, size)
            case "value":
                let (type, size) = try pointee(member)
                (spec.valueTypeID, spec.valueSize) = (type, size)
            case "pinning":
                guard try number(member) == 0 else {
                    throw .unsupported(what: "\(what) field 'pinning'", detail: "pinned maps are not implemented")
                }
            case "values":
                spec.innerMap = try innerMapSpec(of: name, member: member, btf: btf)
            case "inner_map":
                throw .unsupported(what: "\(what) field 'inner_map'", detail: "inner map references are not implemented; use __array(values, ...)")
            default:
                throw .unsupported(what: "\(what) field '\(member.name)'", detail: "unknown map attribute")
            }
        }
        guard sawType else { throw .malformed(what: what, detail: "no 'type' field") }
        if spec.innerMap != nil {
            guard spec.type == .arrayOfMaps || spec.type == .hashOfMaps else {
                throw .unsupported(what: "\(what) field 'values'", detail: "initial values of a \(spec.type) map are not implemented")
            }
            // The outer map holds map ids (4 bytes); libbpf sets this too.
            spec.valueSize = 4
        }
        // libbpf's defaults: perf event arrays hold 4-byte CPU indexes and fds.
        if spec.type == .perfEventArray {
            if spec.keySize == 0 { spec.keySize = 4 }
            if spec.valueSize == 0 { spec.valueSize = 4 }
        }
        return spec
    }

    /// The inner map's definition from `__array(values, struct { ... })`:
    /// a zero-length array of pointers to a map definition struct.
    private func innerMapSpec(of name: String, member: BTFMember, btf: BTF) throws(BPFObjectError) -> MapSpec {
        let what = "map '\(name)' field 'values'"
        guard let array = btf.array(of: btf.skippingModifiers(member.type)),
              btf.kind(of: btf.skippingModifiers(array.elementType)) == .pointer,
              let target = btf.type(id: btf.skippingModifiers(array.elementType))?.referencedType else {
            throw .malformed(what: what, detail: "expected __array(values, struct { ... })")
        }
        let definition = btf.resolved(target)
        guard btf.kind(of: definition) == .struct else {
            throw .unsupported(what: what, detail: "program array initializers are not implemented")
        }
        // Initial inner maps are relocations in .rel.maps, which the loader would not apply.
        if elf.section(named: ".rel.maps") != nil {
            throw .unsupported(what: what, detail: "initial inner maps are not implemented; fill the outer map from user space")
        }
        return try mapSpec(named: "\(name).inner", definition: definition, btf: btf)
    }
}
