// The BCC module: the BPF class, its compiler driver, tables, output and
// symbols. See DESIGN.md for the layers. A user's `import BCC` gives what the
// API hands out: decoded events and layouts (BCCEvents) and the dialect's
// table and diagnostic types (BCCDialect).
@_exported import BCCDialect
@_exported import BCCEvents
