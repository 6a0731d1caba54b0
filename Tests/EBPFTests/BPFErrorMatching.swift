import BPFObject
import Testing
@testable import EBPF

extension BPFError {
    /// A BPFError's case without its payload, so a test can say which case
    /// it expects where the payload (a kernel message, a path) varies.
    enum Case: Equatable {
        case permissionDenied, notSupported, invalidArgument, verifierRejected, system, notFound, malformed, object, closed
    }

    /// This error's case.
    var `case`: Case {
        switch self {
        case .permissionDenied: return .permissionDenied
        case .notSupported: return .notSupported
        case .invalidArgument: return .invalidArgument
        case .verifierRejected: return .verifierRejected
        case .system: return .system
        case .notFound: return .notFound
        case .malformed: return .malformed
        case .object: return .object
        case .closed: return .closed
        }
    }
}

/// Expects `body` to throw a BPFError of case `expected` and returns it, so
/// the caller can check its message too.
@discardableResult
func expectBPFError<Result>(
    _ expected: BPFError.Case, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Result
) -> BPFError? {
    let error = #expect(throws: BPFError.self, sourceLocation: sourceLocation) { _ = try body() }
    if let error {
        #expect(error.case == expected, "\(error)", sourceLocation: sourceLocation)
    }
    return error
}
