import BTF

/// How to decode one C type, computed from BTF once per event struct so
/// that decoding a record never walks BTF. Offsets are relative to the
/// start of the value being decoded.
package indirect enum EventPlan: Sendable {
    case signed(size: Int)
    case unsigned(size: Int)
    case bool(size: Int)
    case enumeration(size: Int, isSigned: Bool, names: EnumeratorNames)
    case float(size: Int)
    case pointer
    /// A bitfield `width` bits wide starting `shift` bits into the value's
    /// first byte; `names` when the bitfield is an enum.
    case bitfield(shift: Int, width: Int, isSigned: Bool, names: EnumeratorNames?)
    /// A `char` array of `count` bytes.
    case text(count: Int)
    /// A flexible `char` array at the end of the event: the rest of the record.
    case trailingText
    case array(element: EventPlan, count: Int, stride: Int)
    /// A flexible array member at the end of the event: as many elements as
    /// the record holds.
    case trailingArray(element: EventPlan, stride: Int)
    case composite([PlannedField])
    case bytes(size: Int)
}

/// A member of a struct or union and where it starts.
package struct PlannedField: Sendable {
    package var name: String
    package var offset: Int
    package var plan: EventPlan
}

/// An enum's enumerator names by value bits (sign-extended for signed enums).
package struct EnumeratorNames: Sendable {
    package var names: [UInt64: String]
}

/// Builds plans from BTF, sharing the plan of a type used more than once.
package struct EventPlanner {
    package let btf: BTF
    /// The event type's C spelling, for error messages.
    package let rootName: String
    private var plans: [BTFTypeID: (plan: EventPlan, cost: Int)] = [:]

    /// More decoded values than this for one record is a malformed type.
    package static let valueLimit = 1 << 20

    package init(btf: BTF, rootName: String) {
        self.btf = btf
        self.rootName = rootName
    }

    /// The plan for the struct or union `id` (already resolved), with a
    /// trailing flexible array taking the rest of the record.
    package mutating func rootPlan(_ id: BTFTypeID) throws(EventDecodingError) -> [PlannedField] {
        guard case var .composite(fields) = try plan(id).plan else {
            throw .notAStruct(type: rootName, kind: "\(btf.kind(of: id))")
        }
        switch fields.last?.plan {
        case let .array(element, 0, stride) where stride > 0:
            fields[fields.count - 1].plan = .trailingArray(element: element, stride: stride)
        case .text(0):
            fields[fields.count - 1].plan = .trailingText
        default:
            break
        }
        return fields
    }

    /// The plan for type `id` and the number of values it decodes into.
    private mutating func plan(_ id: BTFTypeID) throws(EventDecodingError) -> (plan: EventPlan, cost: Int) {
        let id = btf.resolved(id)
        if let known = plans[id] { return known }
        let result = try makePlan(id)
        guard result.cost <= Self.valueLimit else { throw .tooManyValues(type: rootName, limit: Self.valueLimit) }
        plans[id] = result
        return result
    }

    private mutating func makePlan(_ id: BTFTypeID) throws(EventDecodingError) -> (plan: EventPlan, cost: Int) {
        guard let type = btf.type(id: id) else {
            throw .unsupportedMember(type: rootName, member: "?", detail: "type \(id) is out of range")
        }
        let size = btf.size(of: id) ?? 0
        switch type.kind {
        case .int:
            guard let encoding = btf.intEncoding(of: id) else { return (.bytes(size: size), 1) }
            if size > 8 { return (.bytes(size: size), 1) }
            if encoding.isBool { return (.bool(size: size), 1) }
            return (encoding.isSigned ? .signed(size: size) : .unsigned(size: size), 1)
        case .enum, .enum64:
            return (.enumeration(size: size, isSigned: type.kindFlag, names: enumeratorNames(id)), 1)
        case .float:
            return (size == 4 || size == 8 ? .float(size: size) : .bytes(size: size), 1)
        case .pointer:
            return (.pointer, 1)
        case .array:
            guard let array = btf.array(of: id), let elementSize = btf.size(of: array.elementType) else {
                throw .unsupportedMember(type: rootName, member: btf.cSpelling(of: id), detail: "array element has no size")
            }
            if isChar(array.elementType) { return (.text(count: array.count), 1) }
            let element = try plan(array.elementType)
            let (cost, overflow) = array.count.multipliedReportingOverflow(by: element.cost)
            guard !overflow, cost <= Self.valueLimit else { throw .tooManyValues(type: rootName, limit: Self.valueLimit) }
            return (.array(element: element.plan, count: array.count, stride: elementSize), max(cost, 1))
        case .struct, .union:
            return try compositePlan(id, size: size)
        default:
            throw .unsupportedMember(
                type: rootName, member: btf.cSpelling(of: id), detail: "a \(type.kind) has no value to decode")
        }
    }

    private mutating func compositePlan(_ id: BTFTypeID, size: Int) throws(EventDecodingError) -> (plan: EventPlan, cost: Int) {
        let typeName = btf.cSpelling(of: id)
        var fields: [PlannedField] = []
        var cost = 1
        for member in btf.members(of: id) {
            let memberType = btf.resolved(member.type)
            let memberName = member.name.isEmpty ? "(anonymous)" : member.name
            func fail(_ detail: String) -> EventDecodingError {
                .unsupportedMember(type: typeName, member: memberName, detail: detail)
            }
            if let bitfield = try bitfieldPlan(member, memberType) {
                guard (bitfield.bitOffset + bitfield.width + 7) / 8 <= size else {
                    throw fail("bitfield at bit \(bitfield.bitOffset) ends past the \(size)-byte \(typeName)")
                }
                fields.append(PlannedField(name: member.name, offset: bitfield.bitOffset / 8, plan: bitfield.plan))
                cost += 1
                continue
            }
            guard member.bitOffset % 8 == 0 else { throw fail("starts at bit \(member.bitOffset), not on a byte") }
            guard let memberSize = btf.size(of: memberType) else { throw fail("its type \(btf.cSpelling(of: member.type)) has no size") }
            let offset = member.bitOffset / 8
            guard offset <= size, memberSize <= size - offset else {
                throw fail("\(memberSize) bytes at offset \(offset) end past the \(size)-byte \(typeName)")
            }
            let planned = try plan(memberType)
            cost += planned.cost
            guard cost <= Self.valueLimit else { throw .tooManyValues(type: rootName, limit: Self.valueLimit) }
            if member.name.isEmpty {
                // An anonymous struct or union: C reaches its members directly.
                guard case let .composite(inner) = planned.plan else { continue }
                fields += inner.map { PlannedField(name: $0.name, offset: offset + $0.offset, plan: $0.plan) }
            } else {
                fields.append(PlannedField(name: member.name, offset: offset, plan: planned.plan))
            }
        }
        return (.composite(fields), cost)
    }

    /// The plan of a bitfield member: kind_flag bitfields, and old-style
    /// ones whose int encoding is narrower than its storage.
    private func bitfieldPlan(
        _ member: BTFMember, _ memberType: BTFTypeID
    ) throws(EventDecodingError) -> (plan: EventPlan, bitOffset: Int, width: Int)? {
        var width = member.bitfieldSize
        var bitOffset = member.bitOffset
        let kind = btf.kind(of: memberType)
        if width == 0, kind == .int, let encoding = btf.intEncoding(of: memberType),
            let size = btf.size(of: memberType), encoding.bits < size * 8 || encoding.bitOffset != 0
        {
            width = encoding.bits
            bitOffset += encoding.bitOffset
        }
        guard width > 0 else { return nil }
        guard width <= 64 else {
            throw .unsupportedMember(type: rootName, member: member.name, detail: "a \(width)-bit bitfield is wider than 64 bits")
        }
        let plan: EventPlan
        switch kind {
        case .int:
            let isSigned = btf.intEncoding(of: memberType)?.isSigned ?? false
            plan = .bitfield(shift: bitOffset % 8, width: width, isSigned: isSigned, names: nil)
        case .enum, .enum64:
            let isSigned = btf.type(id: memberType)?.kindFlag ?? false
            plan = .bitfield(shift: bitOffset % 8, width: width, isSigned: isSigned, names: enumeratorNames(memberType))
        default:
            throw .unsupportedMember(type: rootName, member: member.name, detail: "a bitfield of \(btf.cSpelling(of: memberType))")
        }
        return (plan, bitOffset, width)
    }

    /// True when `id` is `char` or `signed char` (through typedefs): arrays
    /// of them are text. `unsigned char` / `u8` arrays stay numbers, as in bcc.
    private func isChar(_ id: BTFTypeID) -> Bool {
        let resolved = btf.resolved(id)
        guard let encoding = btf.intEncoding(of: resolved), btf.size(of: resolved) == 1, !encoding.isBool else { return false }
        if encoding.isChar { return true }
        let name = btf.name(of: resolved)
        return name == "char" || name == "signed char"
    }

    private func enumeratorNames(_ id: BTFTypeID) -> EnumeratorNames {
        var names: [UInt64: String] = [:]
        for value in btf.enumValues(of: id) where names[value.bits] == nil {
            names[value.bits] = value.name
        }
        return EnumeratorNames(names: names)
    }
}
