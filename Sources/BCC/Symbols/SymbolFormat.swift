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
