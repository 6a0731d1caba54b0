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

extension Array {
    /// In an array sorted by `address`, the index after the last element at
    /// or below `target` (0 when none is): a binary search, the lookup of
    /// both symbol tables.
    func endOfRun(atOrBelow target: UInt64, address: (Element) -> UInt64) -> Int {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if address(self[middle]) <= target { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
