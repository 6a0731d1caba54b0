import BTF

/// Finding event structs in a program's BTF: by name, or by the table the
/// front end recorded them for.
public enum EventTypes {
    /// The prefix of the globals the front end emits so that each output
    /// table's event struct reaches the object's BTF: `T *__bcc_event__TABLE`.
    public static let anchorPrefix = "__bcc_event__"

    /// The struct or union named `name` (`struct data_t`, `union u`, or a
    /// bare name: a struct, then a union, then a typedef of that name).
    public static func find(_ name: String, in btf: BTF) -> BTFTypeID? {
        let trimmed = name.trimmingPrefix(while: \.isWhitespace)
        for (keyword, kind) in [("struct ", BTFKind.struct), ("union ", .union), ("enum ", .enum)]
        where trimmed.hasPrefix(keyword) {
            let bare = trimmed.dropFirst(keyword.count).trimmingPrefix(while: \.isWhitespace)
            return btf.firstType(named: String(bare), kind: kind)?.id
        }
        for kind in [BTFKind.struct, .union, .typedef] {
            if let type = btf.firstType(named: String(trimmed), kind: kind) { return type.id }
        }
        return nil
    }

    /// The event type recorded for `table`: the pointee of the global
    /// `__bcc_event__TABLE`, or nil when there is none.
    public static func recorded(forTable table: String, in btf: BTF) -> BTFTypeID? {
        for variable in btf.types(named: anchorPrefix + table, kind: .variable) {
            guard let pointer = variable.referencedType.map(btf.resolved),
                btf.kind(of: pointer) == .pointer, let pointee = btf.type(id: pointer)?.referencedType
            else { continue }
            return btf.skippingModifiers(pointee)
        }
        return nil
    }

    /// Every table with a recorded event type, and the type, sorted by table name.
    public static func recordedTables(in btf: BTF) -> [(table: String, type: BTFTypeID)] {
        btf.types(ofKind: .variable).compactMap { variable -> (String, BTFTypeID)? in
            let name = btf.name(of: variable.id)
            guard name.hasPrefix(anchorPrefix) else { return nil }
            let table = String(name.dropFirst(anchorPrefix.count))
            return recorded(forTable: table, in: btf).map { (table, $0) }
        }
        .sorted { $0.0 < $1.0 }
    }
}
