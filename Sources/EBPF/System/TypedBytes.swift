// The standard library's `withUnsafeBytes` and `withCString` rethrow
// untyped errors, which would erase `BPFError` from every bpf(2) call made
// inside them. These forward a `throws(BPFError)` body and keep its type.

extension Array {
    /// `withUnsafeBytes` for a body that throws ``BPFError``.
    @inline(__always)
    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws(BPFError) -> Result) throws(BPFError) -> Result {
        try withUnsafeBytes { bytes in Swift.Result { () throws(BPFError) in try body(bytes) } }.get()
    }

    /// `withUnsafeMutableBytes` for a body that throws ``BPFError``.
    @inline(__always)
    mutating func withMutableBytes<Result>(
        _ body: (UnsafeMutableRawBufferPointer) throws(BPFError) -> Result
    ) throws(BPFError) -> Result {
        try withUnsafeMutableBytes { bytes in Swift.Result { () throws(BPFError) in try body(bytes) } }.get()
    }
}

extension String {
    /// `withCString` for a body that throws ``BPFError``.
    @inline(__always)
    func withCPointer<Result>(_ body: (UnsafePointer<CChar>) throws(BPFError) -> Result) throws(BPFError) -> Result {
        try withCString { pointer in Swift.Result { () throws(BPFError) in try body(pointer) } }.get()
    }
}
