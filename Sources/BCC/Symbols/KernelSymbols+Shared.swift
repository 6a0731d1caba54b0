// This machine's kernel symbols, loaded once per process, and bcc's
// BPF.ksym / BPF.ksymname over them.
import Synchronization

extension KernelSymbols {
    /// Reads and parses `path` (by default /proc/kallsyms).
    ///
    /// Without root or CAP_SYSLOG the kernel prints zero addresses, which are
    /// skipped, so the table is empty rather than wrong.
    public static func load(path: String = "/proc/kallsyms") throws(BCCError) -> KernelSymbols {
        KernelSymbols(kallsyms: try ProcFile.bytes(path))
    }

    private static let sharedTable = Mutex<KernelSymbols?>(nil)

    /// The kernel symbols of this machine, loaded from /proc/kallsyms on
    /// first use (a failed load is tried again on the next call).
    public static func shared() throws(BCCError) -> KernelSymbols {
        try sharedTable.withLock { (table: inout KernelSymbols?) throws(BCCError) -> KernelSymbols in
            if let table { return table }
            let loaded = try load()
            table = loaded
            return loaded
        }
    }

    /// The kernel function containing `address`, as bcc's `BPF.ksym` spells it:
    /// `name`, `name+0xoff` with `showOffset`, ` [module]` with `showModule`,
    /// and "[unknown]" when no symbol covers it or kallsyms is unreadable.
    public static func ksym(_ address: UInt64, showModule: Bool = false, showOffset: Bool = false) -> String {
        let match = (try? shared())?.resolve(address)
        return SymbolFormat.format(
            name: match?.symbol.name, offset: match?.offset ?? 0, module: match?.symbol.module,
            showModule: showModule, showOffset: showOffset)
    }

    /// The address of the kernel symbol `name` (bcc's `BPF.ksymname`), or nil
    /// where bcc returns -1.
    public static func ksymname(_ name: String) -> UInt64? {
        (try? shared())?.address(of: name)
    }
}
