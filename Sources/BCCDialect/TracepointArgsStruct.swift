import BPFObject

/// The C struct bcc gives TRACEPOINT_PROBE's `args`, built from the
/// tracepoint's tracefs format (its fields, offsets and sizes).
package struct TracepointArgsStruct: Sendable, Equatable {
    /// The fields in offset order.
    package var fields: [TracepointField]

    /// The struct for a parsed format.
    package init(_ format: TracepointFormat) {
        fields = format.fields.sorted { $0.offset < $1.offset }
    }

    /// `struct NAME { ... };` with padding where the format has gaps.
    package func cDefinition(structName: String) -> String {
        var members: [String] = []
        var position = 0
        for (index, field) in fields.enumerated() {
            guard field.offset >= position else { continue } // overlapping field: keep the first
            if field.offset > position {
                members.append("char __pad\(index)[\(field.offset - position)];")
            }
            members.append(member(field) + ";")
            position = field.offset + field.size
        }
        return "struct \(structName) { \(members.joined(separator: " ")) };"
    }

    /// A C member for a field, typed so that its natural size and alignment match the format.
    private func member(_ field: TracepointField) -> String {
        if field.dynamicArray != nil {
            return "u32 data_loc_\(field.name)"
        }
        if field.type.contains("*") && field.arrayDimension == nil {
            return "\(Self.pointerType(field.type)) \(field.name)"
        }
        if let length = field.arrayLength, length > 0 {
            let elementSize = field.size / length
            let element = field.type.contains("char") && elementSize == 1 ? "char" : integerType(size: elementSize, signed: field.isSigned)
            return "\(element) \(field.name)[\(length)]"
        }
        if [1, 2, 4, 8].contains(field.size) {
            return "\(integerType(size: field.size, signed: field.isSigned)) \(field.name)"
        }
        return "u8 \(field.name)[\(field.size)]"
    }

    private func integerType(size: Int, signed: Bool) -> String {
        switch size {
        case 1: return signed ? "s8" : "u8"
        case 2: return signed ? "s16" : "u16"
        case 4: return signed ? "s32" : "u32"
        default: return signed ? "s64" : "u64"
        }
    }

    /// Keeps a pointer type made of C keywords and struct tags; anything else becomes `void *`.
    private static func pointerType(_ type: String) -> String {
        let keywords: Set<String> = ["const", "volatile", "char", "void", "unsigned", "signed", "int", "long", "short", "struct", "__user"]
        let words = type.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).map(String.init)
        for (index, word) in words.enumerated() where !keywords.contains(word) {
            guard index > 0, words[index - 1] == "struct" else { return "void *" }
        }
        return type
    }
}
