import BPFObject

// The rewriter sees every branch of an #if; the preprocessor decides what is
// compiled. The tables and functions a program has are the ones in its
// object, as in bcc, where they come from the compiled module.

extension CompiledProgram {
    /// The declared tables and functions that `spec`, the compiled object,
    /// has: a table declared once per #if branch is the declaration whose
    /// map type the object's map has.
    func compiledDeclarations(in spec: ObjectSpec) -> (tables: [TableDefinition], functions: [ProbeFunction]) {
        let mapTypes = Dictionary(spec.maps.map { ($0.name, $0.type) }, uniquingKeysWith: { first, _ in first })
        var tables: [TableDefinition] = []
        for table in self.tables where mapTypes[table.name] == table.mapType {
            if !tables.contains(where: { $0.name == table.name }) { tables.append(table) }
        }
        let programs = Set(spec.programs.map(\.name))
        return (tables, functions.filter { programs.contains($0.name) })
    }
}
