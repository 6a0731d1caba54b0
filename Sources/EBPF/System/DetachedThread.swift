import Glibc

/// Work run on a thread of its own, not joined: a background job that must
/// not hold a thread of Swift's cooperative pool while it blocks (a PCH
/// build waits seconds for clang).
package enum DetachedThread {
    /// What the new thread runs, handed over as one retained reference.
    private final class Work {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// Starts `body` on a new detached thread, with every signal blocked
    /// there (Ctrl-C belongs to the program's own threads).
    ///
    /// - Throws: `BPFError.system` when the thread cannot be created.
    package static func start(_ body: @escaping @Sendable () -> Void) throws(BPFError) {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var handle = pthread_t()
        let work = Unmanaged.passRetained(Work(body)).toOpaque()
        let result = pthread_create(&handle, &attributes, { context in
            var all = sigset_t()
            sigfillset(&all)
            pthread_sigmask(SIG_BLOCK, &all, nil)
            Unmanaged<Work>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, work)
        guard result == 0 else {
            Unmanaged<Work>.fromOpaque(work).release()
            throw .system(operation: "pthread_create", object: "a background thread", errno: result)
        }
    }
}
