// How bcc spells a resolved address: "name+0xoff [module]".

/// Formats a symbol lookup as bcc's `BPF.sym` and `BPF.ksym` do.
enum SymbolFormat {
    /// `name`, `name+0x1a` with `showOffset`, then ` [module]` with
    /// `showModule` (the module's last path component); "[unknown]" when
    /// there is no name, which never gets an offset.
    static func format(name: String?, offset: UInt64, module: String?, showModule: Bool, showOffset: Bool) -> String {
        var text = name ?? "[unknown]"
        if showOffset, name != nil { text += "+0x" + String(offset, radix: 16) }
        if showModule, let module {
            let base = module.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? module
            text += " [\(base)]"
        }
        return text
    }
}

/// Symbol tables could not be read.
public enum SymbolError: Error, CustomStringConvertible, Equatable {
    /// A file the symbols come from could not be read.
    case unreadable(path: String, reason: String)

    /// A message naming the file and why.
    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read symbols from \(path): \(reason)"
        }
    }
}
