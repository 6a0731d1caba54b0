extension BTF {
    /// The C definition of type `id`, as `bpftool btf dump format c` writes
    /// it: a struct or union with its members (nested anonymous bodies
    /// inline, padding explicit), an enum with its values, a typedef, or a
    /// function prototype; other kinds as their spelling.
    public func cDefinition(of id: BTFTypeID) -> String {
        guard id.rawValue < storage.typeCount else { return "" }
        var writer = CWriter(btf: self, isHeader: true)
        switch kind(of: id) {
        case .struct, .union:
            writer.structDefinition(id.rawValue, level: 0)
        case .enum, .enum64:
            writer.enumDefinition(id.rawValue, level: 0)
        case .typedef:
            writer.write("typedef ")
            writer.declaration(rawType(id).sizeOrType, name: CWriter.Name(offset: rawType(id).nameOffset), level: 0)
        default:
            return cSpelling(of: id) + ";"
        }
        writer.write(";")
        return String(decoding: writer.out, as: UTF8.self)
    }
}
