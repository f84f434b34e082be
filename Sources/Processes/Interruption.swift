import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Ctrl-C (SIGINT), SIGTERM or SIGHUP while a child that `stopsOnInterrupt` runs: the handler
/// only records the request; the child's run loop stops the child's process group and returns.
enum Interruption {
    private static let requested = Atomic<Bool>(false)

    /// Installs the handlers for the duration of one child's run.
    static func begin() {
        requested.store(false, ordering: .relaxed)
        signal(SIGINT) { _ in Interruption.requested.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in Interruption.requested.store(true, ordering: .relaxed) }
        signal(SIGHUP) { _ in Interruption.requested.store(true, ordering: .relaxed) }
        // A parent may have started us with these signals blocked (the mask survives exec).
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGHUP)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }

    /// Restores the default handlers.
    static func end() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        signal(SIGHUP, SIG_DFL)
    }

    /// True once a signal arrived during the current run.
    static var isRequested: Bool { requested.load(ordering: .relaxed) }
}
