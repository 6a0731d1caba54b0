import BTF

// MARK: - CORECheck

/// Checks CO-RE relocations against a target BTF (the running kernel's).
///
/// swift-bcc compiles against the running kernel's own types, so the
/// offsets, sizes and values clang baked into the instructions are already
/// the kernel's. Rather than rewriting instructions, this check resolves
/// each relocation in both the object's BTF and the target's and accepts
/// the program only when both give the same answer, naming the first one
/// that does not.
public enum CORECheck {
    /// `enum bpf_core_relo_kind`.
    public enum Kind {
        /// BPF_CORE_FIELD_BYTE_OFFSET.
        public static let fieldByteOffset: UInt32 = 0
        /// BPF_CORE_FIELD_RSHIFT_U64, the last field kind.
        public static let lastFieldKind: UInt32 = 5
        /// BPF_CORE_TYPE_ID_LOCAL.
        public static let typeIDLocal: UInt32 = 6
        /// BPF_CORE_TYPE_ID_TARGET.
        public static let typeIDTarget: UInt32 = 7
        /// BPF_CORE_TYPE_EXISTS.
        public static let typeExists: UInt32 = 8
        /// BPF_CORE_TYPE_SIZE.
        public static let typeSize: UInt32 = 9
        /// BPF_CORE_ENUMVAL_EXISTS.
        public static let enumValueExists: UInt32 = 10
        /// BPF_CORE_ENUMVAL_VALUE.
        public static let enumValueValue: UInt32 = 11
        /// BPF_CORE_TYPE_MATCHES.
        public static let typeMatches: UInt32 = 12
    }

    /// Throws `BPFObjectError.unsupported` for the first relocation of
    /// `programs` that resolves differently in `target` than in `local`.
    public static func verify(_ programs: [ProgramSpec], local: BTF, target: BTF, object: String) throws(BPFObjectError) {
        for program in programs {
            for relocation in program.coreRelocations {
                try verify(relocation, local: local, target: target,
                           what: "CO-RE relocation at instruction \(relocation.instructionIndex) of program '\(program.name)' in \(object)")
            }
        }
    }

    static func verify(_ relocation: CORERelocation, local: BTF, target: BTF, what: String) throws(BPFObjectError) {
        let root = relocation.typeID
        let rootName = essentialName(local.name(of: local.skippingModifiers(root)))
        let rootKind = local.kind(of: local.skippingModifiers(root))
        let described = "\(rootKind) \(rootName.isEmpty ? "(anonymous)" : rootName) access \(relocation.accessString)"
        guard relocation.kind != Kind.typeIDLocal else { return }
        guard relocation.kind != Kind.typeIDTarget else {
            throw .unsupported(what: what, detail: "bpf_core_type_id_kernel (\(described)) needs instruction rewriting")
        }
        guard !rootName.isEmpty else {
            throw .unsupported(what: what, detail: "the root type of \(described) is anonymous")
        }
        let candidates = target.types(named: rootName).filter { target.kind(of: $0.id) == rootKind }
            .map(\.id)
        let indexes = relocation.accessString.split(separator: ":").map { Int($0) }
        guard !indexes.isEmpty, indexes.allSatisfy({ $0.map { (0...(1 << 24)).contains($0) } ?? false }) else {
            throw .malformed(what: what, detail: "access string '\(relocation.accessString)' is not a list of indexes")
        }
        let access = indexes.map { $0! }

        switch relocation.kind {
        case Kind.fieldByteOffset...Kind.lastFieldKind:
            let localField = try field(in: local, root: root, access: access, what: what)
            var seen: [String] = []
            for candidate in candidates {
                guard let targetField = try? follow(localField.path, in: target, root: candidate, what: what) else { continue }
                if targetField.sameLayout(as: localField) { return }
                seen.append(targetField.summary)
            }
            throw .unsupported(what: what, detail: "\(described) (\(localField.pathDescription)) is \(localField.summary) in the object but "
                + (seen.isEmpty ? "absent from the kernel's BTF" : "\(seen.joined(separator: ", ")) in the kernel's BTF")
                + "; recompile against this kernel's types")
        case Kind.typeExists, Kind.typeSize, Kind.typeMatches:
            let size = local.size(of: root)
            guard candidates.contains(where: { target.size(of: $0) == size }) else {
                throw .unsupported(what: what, detail: "\(described): the kernel's BTF has no \(rootKind) \(rootName) of size \(size.map(String.init) ?? "?")")
            }
        case Kind.enumValueExists, Kind.enumValueValue:
            let values = local.enumValues(of: local.skippingModifiers(root))
            guard access.count == 1, access[0] >= 0, access[0] < values.count else {
                throw .malformed(what: what, detail: "enumerator index \(relocation.accessString) is out of range for \(described)")
            }
            let wanted = values[access[0]]
            guard candidates.contains(where: { target.enumValues(of: $0).contains { $0.name == wanted.name && $0.bits == wanted.bits } }) else {
                throw .unsupported(what: what, detail: "enumerator \(wanted.name) = \(wanted.signedValue) of \(described) differs in or is absent from the kernel's BTF")
            }
        default:
            throw .unsupported(what: what, detail: "relocation kind \(relocation.kind) of \(described)")
        }
    }

    /// "task_struct___old" -> "task_struct": libbpf's flavor convention.
    static func essentialName(_ name: String) -> String {
        guard let range = name.firstRange(of: "___") else { return name }
        return String(name[..<range.lowerBound])
    }

    // MARK: Fields

    /// A field reached through an access string.
    struct Field {
        /// The steps by name (members) or index (arrays), for matching in another BTF.
        var path: [Step]
        var bitOffset: Int
        var bitfieldSize: Int
        var byteSize: Int
        var isSigned: Bool

        enum Step: Equatable { case member(String), element(Int) }

        func sameLayout(as other: Field) -> Bool {
            bitOffset == other.bitOffset && bitfieldSize == other.bitfieldSize && byteSize == other.byteSize
                && isSigned == other.isSigned
        }

        var summary: String {
            "at byte \(bitOffset / 8)" + (bitfieldSize > 0 ? " bit \(bitOffset % 8), \(bitfieldSize) bits" : ", \(byteSize) bytes")
        }

        /// ".pid", "[2].next": the root index is left out when it is 0.
        var pathDescription: String {
            (path.first == .element(0) ? path.dropFirst() : path[...]).map { step in
                switch step {
                case let .member(name): return "." + name
                case let .element(index): return "[\(index)]"
                }
            }.joined()
        }
    }

    /// Walks `access` (first: an array index on the root; then member or element indexes) in `btf`.
    static func field(in btf: BTF, root: BTFTypeID, access: [Int], what: String) throws(BPFObjectError) -> Field {
        var type = btf.resolved(root)
        guard let rootSize = btf.size(of: type) else { throw .malformed(what: what, detail: "root type has no size") }
        var result = Field(path: [.element(access[0])], bitOffset: access[0] * rootSize * 8, bitfieldSize: 0,
                           byteSize: rootSize, isSigned: false)
        for index in access.dropFirst() {
            if let array = btf.array(of: type) {
                guard let elementSize = btf.size(of: array.elementType) else { throw .malformed(what: what, detail: "array element has no size") }
                result.path.append(.element(index))
                result.bitOffset += index * elementSize * 8
                type = btf.resolved(array.elementType)
                result.byteSize = elementSize
                result.bitfieldSize = 0
                continue
            }
            let members = btf.members(of: type)
            guard index >= 0, index < members.count else {
                throw .malformed(what: what, detail: "member index \(index) is out of range for \(btf.kind(of: type)) \(btf.name(of: type))")
            }
            let member = members[index]
            // Anonymous members are transparent: the kernel's layout is matched by the names inside them.
            if !member.name.isEmpty { result.path.append(.member(member.name)) }
            result.bitOffset += member.bitOffset
            result.bitfieldSize = member.bitfieldSize
            type = btf.resolved(member.type)
            result.byteSize = btf.size(of: type) ?? 0
        }
        result.isSigned = btf.intEncoding(of: type)?.isSigned ?? false
        return result
    }

    /// Follows a named path in `btf` from `root`, searching anonymous members.
    static func follow(_ path: [Field.Step], in btf: BTF, root: BTFTypeID, what: String) throws(BPFObjectError) -> Field {
        var type = btf.resolved(root)
        guard let rootSize = btf.size(of: type), case let .element(first)? = path.first else {
            throw .malformed(what: what, detail: "target root has no size")
        }
        var result = Field(path: path, bitOffset: first * rootSize * 8, bitfieldSize: 0, byteSize: rootSize, isSigned: false)
        for step in path.dropFirst() {
            switch step {
            case let .element(index):
                guard let array = btf.array(of: type), let elementSize = btf.size(of: array.elementType) else {
                    throw .malformed(what: what, detail: "not an array in the target")
                }
                result.bitOffset += index * elementSize * 8
                type = btf.resolved(array.elementType)
                result.byteSize = elementSize
                result.bitfieldSize = 0
            case let .member(name):
                guard let (member, offset) = findMember(named: name, in: type, btf: btf, depth: 0) else {
                    throw .malformed(what: what, detail: "no member \(name) in the target")
                }
                result.bitOffset += offset
                result.bitfieldSize = member.bitfieldSize
                type = btf.resolved(member.type)
                result.byteSize = btf.size(of: type) ?? 0
            }
        }
        result.isSigned = btf.intEncoding(of: type)?.isSigned ?? false
        return result
    }

    /// The member called `name` of `type`, looking inside anonymous members, with its bit offset.
    private static func findMember(named name: String, in type: BTFTypeID, btf: BTF, depth: Int) -> (BTFMember, Int)? {
        guard depth < 32 else { return nil }
        for member in btf.members(of: type) {
            if member.name == name { return (member, member.bitOffset) }
            if member.name.isEmpty, let (inner, offset) = findMember(named: name, in: btf.resolved(member.type), btf: btf, depth: depth + 1) {
                return (inner, member.bitOffset + offset)
            }
        }
        return nil
    }
}
