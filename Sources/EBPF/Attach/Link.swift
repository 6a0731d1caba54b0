import BPFObject
import Synchronization

/// An attached BPF program.
///
/// A link owns whatever keeps its program attached (a BPF link, perf events,
/// a probe defined in tracefs) and detaches exactly once: on `close()`, or
/// when the last reference to it goes away.
public protocol Link: AnyObject, Sendable {
    /// What the program is attached to, e.g. "tracepoint sched/sched_process_exec".
    var target: String { get }

    /// True once the program has been detached.
    var isClosed: Bool { get }

    /// Detaches the program and releases what the link owns. Calling it again does nothing.
    func close()
}

extension Program {
    /// Throws unless the program is of one of `types`, before the kernel
    /// answers a mismatch with a bare EINVAL.
    func requireType(_ types: [ProgramType], for target: String) throws(BPFError) {
        guard types.contains(type) else {
            throw BPFError.invalidArgument(
                operation: "attach", object: "program '\(name)' to \(target)",
                detail: "it is a \(type) program; this needs a \(types.map(\.description).joined(separator: " or ")) program")
        }
    }
}

/// The resources behind a link, released once and in order: BPF link
/// descriptors first (the program stops running), then perf event
/// descriptors, then cleanups such as removing a tracefs probe, which the
/// kernel refuses while a perf event still uses it.
final class LinkResources: Sendable {
    private struct State {
        var descriptors: [OwnedFD]
        var cleanups: [@Sendable () -> Void] = []
        var closed = false
    }

    private let state: Mutex<State>

    /// Takes ownership of `descriptors`, closed in this order.
    init(descriptors: [OwnedFD]) {
        state = Mutex(State(descriptors: descriptors))
    }

    /// Adds work to run after the descriptors are closed (at once if they already are).
    func addCleanup(_ cleanup: @escaping @Sendable () -> Void) {
        let added = state.withLock { state in
            if !state.closed { state.cleanups.append(cleanup) }
            return !state.closed
        }
        if !added { cleanup() }
    }

    /// The descriptor numbers held, for tests that check they get closed.
    var descriptorNumbers: [Int32] {
        state.withLock { $0.descriptors.map(\.rawValue) }
    }

    var isClosed: Bool {
        state.withLock { $0.closed }
    }

    func close() {
        let released: (descriptors: [OwnedFD], cleanups: [@Sendable () -> Void])? = state.withLock { state in
            guard !state.closed else { return nil }
            state.closed = true
            defer { (state.descriptors, state.cleanups) = ([], []) }
            return (state.descriptors, state.cleanups)
        }
        guard let released else { return }
        for descriptor in released.descriptors { descriptor.close() }
        for cleanup in released.cleanups { cleanup() }
    }

    deinit { close() }
}
