// bcc's table macros for maps beyond one program: BPF_TABLE_PUBLIC and
// BPF_TABLE_SHARED export a table to programs loaded later in the process,
// which name it with BPF_TABLE("extern", ...); BPF_TABLE_PINNED keeps the map
// at a path in a BPF filesystem. BPF_STACK_TRACE_BUILDID stores build ids
// and offsets instead of addresses.

extension RewritePass {
    /// BPF_TABLE_PUBLIC(type, key, leaf, name, size), BPF_TABLE_SHARED(type,
    /// key, leaf, name, size[, flags]), BPF_TABLE_PINNED(type, key, leaf,
    /// name, size, path[, flags]), BPF_STACK_TRACE_BUILDID(name, size).
    mutating func libraryTable(macro: String, args: [String], arguments: [Range<Int>], at index: Int, line: Int) -> TableDefinition? {
        if macro == "BPF_STACK_TRACE_BUILDID" {
            guard args.count == 2 else {
                report(at: tokens[index].start, "BPF_STACK_TRACE_BUILDID(name, size) takes 2 arguments, got \(args.count)")
                return nil
            }
            return TableDefinition(name: args[0], kind: .stackTrace, keyType: "u32", leafType: "struct bpf_stack_build_id[127]",
                                   maxEntries: args[1], line: line, flags: "BPF_F_STACK_BUILD_ID")
        }
        let (minimum, maximum, usage): (Int, Int, String) = switch macro {
        case "BPF_TABLE_PUBLIC": (5, 5, "(type, key, leaf, name, size)")
        case "BPF_TABLE_SHARED": (5, 6, "(type, key, leaf, name, size[, flags])")
        default: (6, 7, "(type, key, leaf, name, size, path[, flags])")
        }
        guard (minimum...maximum).contains(args.count) else {
            report(at: tokens[index].start, "\(macro)\(usage) takes \(minimum == maximum ? "\(minimum)" : "\(minimum) or \(maximum)") arguments, got \(args.count)")
            return nil
        }
        guard let kind = TableDefinition.Kind(bpfTableType: args[0].trimming("\"")) else {
            report(at: tokens[arguments[0].lowerBound].start, "unknown table type \(args[0]) in \(macro)")
            return nil
        }
        var table = TableDefinition(name: args[3], kind: kind, keyType: args[1], leafType: args[2], maxEntries: args[4], line: line)
        if macro == "BPF_TABLE_PINNED" {
            let path = args[5].trimming(" ")
            guard path.hasPrefix("\""), path.hasSuffix("\""), path.count > 2, path.dropFirst().hasPrefix("/") else {
                report(at: tokens[arguments[5].lowerBound].start, "BPF_TABLE_PINNED needs an absolute path in a BPF filesystem as a string literal, got \(args[5])")
                return nil
            }
            table.sharing = .pinned(path: String(path.dropFirst().dropLast()))
            if args.count == 7 { table.flags = args[6] }
        } else {
            table.sharing = .exported
            if args.count == 6 { table.flags = args[5] }
        }
        return table
    }

    /// BPF_TABLE("extern", key, leaf, name, size): the table another program of
    /// the process exported, with this program's key and leaf types.
    mutating func importedTable(args: [String], at index: Int, line: Int) -> TableDefinition? {
        guard let exported = options.exportedTables[args[3]] else {
            report(at: tokens[index].start,
                   "extern table '\(args[3])' is not exported by any BPF program loaded in this process (BPF_TABLE_PUBLIC or BPF_TABLE_SHARED)")
            return nil
        }
        var table = TableDefinition(name: args[3], kind: exported.kind, keyType: args[1], leafType: args[2],
                                    maxEntries: exported.maxEntries, line: line, flags: exported.flags)
        table.sharing = .imported
        return table
    }
}
