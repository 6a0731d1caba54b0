// b["name"], symbols and trace_pipe on the BPF class, with bcc's names.
import BTF
import EBPF

extension BPF {
    /// The table `name` (bcc's `b["name"]`), built once at load: every
    /// access returns the same table.
    ///
    /// - Throws: ``BCCError/tableNotFound(name:available:)`` listing the tables there are.
    public subscript(name: String) -> Table {
        get throws(BCCError) { try table(name) }
    }

    /// The table `name` (bcc's `get_table`), with the key and value types
    /// its map definition gives in the program's BTF.
    public func getTable(_ name: String) throws(BCCError) -> Table {
        try table(name)
    }

    // MARK: - Symbols

    /// The kernel function containing `address` (bcc's `BPF.ksym`).
    public static func ksym(_ address: UInt64, showModule: Bool = false, showOffset: Bool = false) -> String {
        KernelSymbols.ksym(address, showModule: showModule, showOffset: showOffset)
    }

    /// The address of kernel symbol `name` (bcc's `BPF.ksymname`), nil where bcc returns -1.
    public static func ksymname(_ name: String) -> UInt64? {
        KernelSymbols.ksymname(name)
    }

    /// The function containing `address` in process `pid` (bcc's `BPF.sym`);
    /// a negative pid names a kernel address, as in bcc. With `demangle`,
    /// Swift symbols are shown demangled.
    public static func sym(_ address: UInt64, pid: Int32, showModule: Bool = false, showOffset: Bool = false,
                           demangle: Bool = true) -> String {
        pid < 0 ? KernelSymbols.ksym(address, showModule: showModule, showOffset: showOffset)
            : UserSymbols.sym(address, pid: pid, showModule: showModule, showOffset: showOffset, demangle: demangle)
    }

    // MARK: - trace_pipe

    /// Hands each line of the kernel's trace_pipe (what bpf_trace_printk
    /// printed, see ``printsToTracePipe``) to `callback` when
    /// ``poll(timeout:)`` runs; ``TraceFields/init(line:)`` splits a line
    /// as bcc's `trace_fields` does. trace_pipe is shared by the whole
    /// machine: other programs' lines appear too, and another reader takes
    /// lines from this one.
    public func openTracePipe(_ callback: @escaping (_ line: String) throws -> Void) throws(BCCError) {
        try eventLoop.openTracePipe(handler: callback)
    }

    /// Prints bpf_trace_printk output as it arrives (bcc's `trace_print`),
    /// each line through `format` when given, until `shouldStop` returns true
    /// (checked at least every 100 ms); by default until the process is stopped.
    public func tracePrint(format: ((TraceFields) -> String)? = nil, until shouldStop: () -> Bool = { false }) throws(BCCError) {
        try TracePipe().print(format: format, until: shouldStop)
    }

    /// The next trace_pipe line split into task, pid, cpu, flags, timestamp
    /// and message (bcc's `trace_fields`); nil when nothing arrives within
    /// `timeout` milliseconds (-1 waits).
    public func traceFields(timeout: Int = -1) throws(BCCError) -> TraceFields? {
        try TracePipe(exactLines: true).readFields(timeout: timeout)
    }

    /// The next raw trace_pipe line (bcc's `trace_readline`), or nil on timeout.
    public func traceReadline(timeout: Int = -1) throws(BCCError) -> String? {
        try TracePipe(exactLines: true).readLine(timeout: timeout)
    }
}
