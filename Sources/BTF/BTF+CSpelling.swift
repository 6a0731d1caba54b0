extension BTF {
    /// The C spelling of type `id`: `unsigned int`, `char[16]`,
    /// `struct task_struct *`, `int (*)(void *)`. With `name`, a
    /// declaration of that identifier (`char comm[16]`). Functions spell
    /// their prototype with their own name, variables their type and name.
    /// Anonymous structs, unions and enums appear as `struct {...}`.
    public func cSpelling(of id: BTFTypeID, name: String = "") -> String {
        guard id.rawValue < storage.typeCount else { return "" }
        var writer = CWriter(btf: self, isHeader: false)
        var declared = CWriter.Name(literal: Array(name.utf8))
        switch kind(of: id) {
        case .function, .variable:
            let record = rawType(id)
            if name.isEmpty { declared = CWriter.Name(offset: record.nameOffset) }
            writer.declaration(record.sizeOrType, name: declared, level: 0)
        case .dataSection, .declarationTag:
            return self.name(of: id)
        default:
            writer.declaration(id.rawValue, name: declared, level: 0)
        }
        return String(decoding: writer.out, as: UTF8.self)
    }
}
