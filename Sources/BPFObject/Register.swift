/// An eBPF register. r0 holds return values, r1-r5 arguments, r6-r9 are
/// preserved across calls, r10 is the read-only frame pointer.
public enum Register: UInt8, Sendable, CaseIterable {
    case r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10
}
