import BTF

// MARK: - Structs and unions

extension SwiftEventWriter {
    /// One C member as the generator places it: members of anonymous
    /// structs are lifted into the parent, as C reaches them; offsets count
    /// from the generated struct's start.
    package enum Item {
        case member(BTFMemberLayout)
        case bitfield(BTFMemberLayout)
        case anonymousUnion(BTFCompositeLayout, offset: Int)
    }

    package func items(of composite: BTFCompositeLayout, baseBits: Int = 0) -> [Item] {
        var result: [Item] = []
        for member in composite.members {
            var placed = member
            placed.bitOffset += baseBits
            if member.isBitfield {
                result.append(.bitfield(placed))
            } else if member.name.isEmpty, case let .composite(inner) = member.value {
                if inner.isUnion {
                    result.append(.anonymousUnion(inner, offset: placed.offset))
                } else {
                    result += items(of: inner, baseBits: placed.bitOffset)
                }
            } else if !member.name.isEmpty {
                result.append(.member(placed))
            }
        }
        return result
    }

    /// A generated struct under construction: stored properties in offset
    /// order with the padding Swift needs to put each at its C offset.
    package struct Body {
        /// The C type's spelling, for errors.
        package var cName: String
        package var lines: [String] = []
        package var accessors: [String] = []
        package var fields: [String] = []
        package var cursor = 0
        package var alignment = 1
        package var padCount = 0

        package mutating func pad(to offset: Int) throws(EventDecodingError) {
            guard offset > cursor else { return }
            lines.append("    /// Padding (the C layout's).")
            lines.append("    public var _pad\(padCount): \(try SwiftEventWriter.bytes(offset - cursor, in: cName))")
            padCount += 1
            cursor = offset
        }

        package mutating func store(
            _ name: String, _ type: String, size: Int, alignment: Int, at offset: Int, doc: String
        ) throws(EventDecodingError) {
            try pad(to: offset)
            lines.append("    /// \(doc)")
            lines.append("    public var \(name): \(type)")
            cursor = offset + size
            self.alignment = max(self.alignment, alignment)
        }
    }

    package mutating func compositeDeclaration(
        _ composite: BTFCompositeLayout, name: String, cName: String
    ) throws(EventDecodingError) -> String {
        var body = Body(cName: cName)
        if composite.isUnion {
            try unionBody(composite, typeName: name, into: &body)
        } else {
            try structBody(composite, typeName: name, cName: cName, into: &body)
        }
        try body.pad(to: composite.size)
        compositeAlignments[composite.type] = body.alignment
        let keyword = composite.isUnion ? "union" : "struct"
        var lines = ["/// \(cName) (\(composite.size) bytes), the \(keyword)'s C layout."]
        lines.append("public struct \(name): BPFEvent, Sendable {")
        lines += body.lines
        if !body.accessors.isEmpty { lines.append("") }
        lines += body.accessors
        lines.append("")
        lines.append("    /// The C type mirrored.")
        lines.append("    public static var cTypeName: String { \"\(cName)\" }")
        lines.append("    /// Where the C members are stored.")
        if body.fields.isEmpty {
            lines.append("    public static var cFields: [BPFEventField] { [] }")
        } else {
            lines.append("    public static var cFields: [BPFEventField] {")
            lines.append("        [")
            lines += body.fields.map { "            \($0)," }
            lines.append("        ]")
            lines.append("    }")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    private mutating func structBody(
        _ composite: BTFCompositeLayout, typeName: String, cName: String, into body: inout Body
    ) throws(EventDecodingError) {
        let all = items(of: composite)
        var index = 0
        while index < all.count {
            switch all[index] {
            case let .member(member):
                try storeMember(member, typeName: typeName, cName: cName, into: &body)
                index += 1
            case let .anonymousUnion(union, offset):
                let unionName = try self.typeName(of: union, suggested: "\(typeName)_anon\(offset)")
                let field = "_anon\(offset)"
                try checkOrder(offset, body, cName: cName, member: "(anonymous union)")
                try body.store(field, unionName, size: union.size, alignment: 1, at: offset,
                               doc: "An anonymous union; its members are the accessors below.")
                for member in union.members where !member.name.isEmpty && !member.isBitfield {
                    guard let spelling = try spelling(of: member.value, cType: member.type, context: "\(typeName)_\(member.name)")
                    else { continue }
                    let swiftName = Self.member(member.name)
                    body.accessors.append("    /// `\(member.name)` of the anonymous union.")
                    body.accessors.append("    public var \(swiftName): \(Self.isBool(member.value) ? "Bool" : spelling.name) { \(field).\(swiftName) }")
                }
                index += 1
            case .bitfield:
                var group: [BTFMemberLayout] = []
                // Consecutive bitfields share one run of storage bytes.
                while index < all.count, case let .bitfield(member) = all[index] {
                    group.append(member)
                    index += 1
                }
                let start = group.map(\.bitOffset).min()! / 8
                let end = (group.map { $0.bitOffset + $0.bitfieldWidth }.max()! + 7) / 8
                try checkOrder(start, body, cName: cName, member: group[0].name)
                let storage = "_bitfields\(start)"
                try body.store(storage, Self.bytes(end - start, in: cName), size: end - start, alignment: 1, at: start,
                               doc: "The bytes holding the bitfields \(group.map(\.name).filter { !$0.isEmpty }.joined(separator: ", ")).")
                for bitfield in group where !bitfield.name.isEmpty {
                    try bitfieldAccessor(bitfield, storage: storage, storageStart: start, typeName: typeName, into: &body)
                }
            }
        }
    }

    private static func isBool(_ layout: BTFValueLayout) -> Bool {
        if case let .integer(integer) = layout { return integer.isBool }
        return false
    }

    private func checkOrder(_ offset: Int, _ body: Body, cName: String, member: String) throws(EventDecodingError) {
        guard offset >= body.cursor else {
            throw .unsupportedMember(type: cName, member: member, detail: "overlaps the member before it at offset \(offset)")
        }
    }

    private mutating func storeMember(
        _ member: BTFMemberLayout, typeName: String, cName: String, into body: inout Body
    ) throws(EventDecodingError) {
        let name = member.name, offset = member.offset
        let swiftName = Self.member(name)
        try checkOrder(offset, body, cName: cName, member: name)
        let cSpelling = btf.cSpelling(of: member.type, name: name)
        guard let spelling = try spelling(of: member.value, cType: member.type, context: "\(typeName)_\(name)") else {
            let size = member.value.size
            guard size > 0 else {
                body.accessors.append("    // \(cSpelling): a flexible array, the bytes after the struct.")
                return
            }
            try body.store(swiftName, Self.bytes(size, in: cName), size: size, alignment: 1, at: offset, doc: "`\(cSpelling)` (raw bytes).")
            body.fields.append("BPFEventField(\"\(name)\", \\\(typeName).\(swiftName))")
            return
        }
        let isBool = Self.isBool(member.value)
        if offset % spelling.alignment != 0 || isBool {
            // Stored as bytes: Swift cannot place the type at this offset,
            // or (bool) not every byte is a valid Swift Bool.
            let storage = "_\(name)"
            try body.store(storage, Self.bytes(spelling.size, in: cName), size: spelling.size, alignment: 1, at: offset, doc: "The bytes of `\(cSpelling)`.")
            body.fields.append("BPFEventField(\"\(name)\", \\\(typeName).\(storage))")
            body.accessors.append("    /// `\(cSpelling)`.")
            if isBool && spelling.size == 1 {
                body.accessors.append("    public var \(swiftName): Bool { \(storage) != 0 }")
            } else if isBool {
                body.accessors.append("    public var \(swiftName): Bool { BPFEventStorage.load(UInt8.self, from: \(storage)) != 0 }")
            } else {
                body.accessors.append("    public var \(swiftName): \(spelling.name) { BPFEventStorage.load(\(spelling.name).self, from: \(storage)) }")
            }
            return
        }
        try body.store(swiftName, spelling.name, size: spelling.size, alignment: spelling.alignment, at: offset, doc: "`\(cSpelling)`.")
        body.fields.append("BPFEventField(\"\(name)\", \\\(typeName).\(swiftName))")
        if case let .array(_, count, _) = member.value, count > 1, spelling.name.hasPrefix("(CChar,") {
            body.accessors.append("    /// `\(name)` as text, up to its first NUL.")
            body.accessors.append("    public var \(name)String: String { BPFEventStorage.text(of: \(swiftName)) }")
        }
    }

    private mutating func bitfieldAccessor(
        _ bitfield: BTFMemberLayout, storage: String, storageStart: Int, typeName: String, into body: inout Body
    ) throws(EventDecodingError) {
        guard let spelling = try spelling(of: bitfield.value, cType: bitfield.type, context: "\(typeName)_\(bitfield.name)")
        else { return }
        let isSigned: Bool
        var isEnum = false
        switch bitfield.value {
        case let .enumeration(enumeration):
            isSigned = enumeration.isSigned
            isEnum = true
        case let .integer(integer):
            isSigned = integer.isSigned
        default:
            isSigned = false
        }
        let read = "BPFEventStorage.bitfield(in: \(storage), bit: \(bitfield.bitOffset - storageStart * 8), width: \(bitfield.bitfieldWidth), isSigned: \(isSigned))"
        let swiftName = Self.member(bitfield.name)
        body.accessors.append("    /// The bitfield `\(btf.cSpelling(of: bitfield.type, name: bitfield.name)) : \(bitfield.bitfieldWidth)`.")
        if Self.isBool(bitfield.value) {
            body.accessors.append("    public var \(swiftName): Bool { \(read) != 0 }")
        } else if isEnum {
            let raw = (isSigned ? "Int" : "UInt") + String(spelling.size * 8)
            body.accessors.append("    public var \(swiftName): \(spelling.name) { \(spelling.name)(rawValue: \(raw)(truncatingIfNeeded: \(read))) }")
        } else {
            body.accessors.append("    public var \(swiftName): \(spelling.name) { \(spelling.name)(truncatingIfNeeded: \(read)) }")
        }
    }

    private mutating func unionBody(_ union: BTFCompositeLayout, typeName: String, into body: inout Body) throws(EventDecodingError) {
        try body.store("_storage", Self.bytes(union.size, in: body.cName), size: union.size, alignment: 1, at: 0,
                       doc: "The union's bytes; its members are the accessors below.")
        for member in union.members where !member.name.isEmpty && !member.isBitfield && member.bitOffset == 0 {
            guard let spelling = try spelling(of: member.value, cType: member.type, context: "\(typeName)_\(member.name)")
            else { continue }
            body.accessors.append("    /// `\(btf.cSpelling(of: member.type, name: member.name))`.")
            if Self.isBool(member.value) {
                body.accessors.append("    public var \(Self.member(member.name)): Bool { BPFEventStorage.load(UInt8.self, from: _storage) != 0 }")
            } else {
                body.accessors.append("    public var \(Self.member(member.name)): \(spelling.name) { BPFEventStorage.load(\(spelling.name).self, from: _storage) }")
            }
        }
    }
}
