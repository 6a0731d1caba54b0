/// Receives the records of a ring buffer, one call per record: the form of
/// handler the compiler can see through.
///
/// ``RingBuffer/consume(max:into:)`` and ``RingBufferPoller/add(_:handling:)``
/// are generic over the handler's type, so in the caller's module they are
/// specialized for it and `handle(_:)` is inlined into the record loop,
/// which then keeps its state in registers (callgrind, a handler counting
/// records: 15 instructions a record against 25 with a closure, an indirect
/// call per record; see BENCHMARKS.md).
///
///     struct Counter: RingBufferRecordHandler {
///         var records = 0
///         mutating func handle(_ record: UnsafeRawBufferPointer) { records += 1 }
///     }
public protocol RingBufferRecordHandler {
    /// Handles one record. The bytes are valid only during the call. If it
    /// throws, the record counts as consumed and the pass stops there.
    mutating func handle(_ record: UnsafeRawBufferPointer) throws
}

/// A closure as a ``RingBufferRecordHandler``: the closure APIs run the same
/// record loop as the generic ones.
@usableFromInline
struct RingBufferClosureHandler: RingBufferRecordHandler {
    @usableFromInline let body: (UnsafeRawBufferPointer) throws -> Void

    @inlinable
    init(_ body: @escaping (UnsafeRawBufferPointer) throws -> Void) { self.body = body }

    @inlinable
    func handle(_ record: UnsafeRawBufferPointer) throws { try body(record) }
}
