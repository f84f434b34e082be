import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Ctrl-C (SIGINT), SIGTERM or SIGHUP while a child that `stopsOnInterrupt` runs: the handler
/// only records the request; the child's run loop stops the child's process group and returns.
///
/// The handlers are installed while at least one such child runs, and removed when the last
/// one ends: the first `begin` saves the dispositions it replaces (`sigaction`) and the last
/// `end` puts them back, so a handler of the program's own, or a signal ignored since start-up,
/// is as it was before, and children run on several threads at once cannot remove the handlers
/// from under each other. A signal ignored when the first `begin` comes stays ignored (as a
/// shell leaves a background job's SIGINT, and `nohup` SIGHUP): whoever started modelgate
/// asked that it not stop us, so it does not stop the child either.
enum Interruption {
    private static let requested = Atomic<Bool>(false)
    private static let signals = [SIGINT, SIGTERM, SIGHUP]

    /// The children running with the handlers, and the dispositions the handlers replaced.
    private struct Installation {
        var users = 0
        var replaced: [Int32: sigaction] = [:]
    }
    private static let installation = Mutex(Installation())

    /// Installs the handlers for the duration of one child's run (unless another child's run
    /// already did).
    static func begin() {
        installation.withLock { installation in
            installation.users += 1
            guard installation.users == 1 else { return }
            requested.store(false, ordering: .relaxed)
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { _ in
                Interruption.requested.store(true, ordering: .relaxed)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            var unblocked = sigset_t()
            sigemptyset(&unblocked)
            for signal in signals {
                var previous = sigaction()
                sigaction(signal, nil, &previous)
                if isIgnored(previous) { continue }
                sigaction(signal, &action, &previous)
                installation.replaced[signal] = previous
                sigaddset(&unblocked, signal)
            }
            // A parent may have started us with these signals blocked (the mask survives exec).
            pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
        }
    }

    /// Puts back the dispositions the handlers replaced, when no other child's run needs them.
    static func end() {
        installation.withLock { installation in
            installation.users -= 1
            guard installation.users == 0 else { return }
            for (signal, previous) in installation.replaced {
                var previous = previous
                sigaction(signal, &previous, nil)
            }
            installation.replaced = [:]
        }
    }

    private static func isIgnored(_ action: sigaction) -> Bool {
        guard let handler = action.__sigaction_handler.sa_handler else { return false }  // SIG_DFL
        return unsafeBitCast(handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
    }

    /// True once a signal arrived while a child ran with the handlers.
    static var isRequested: Bool { requested.load(ordering: .relaxed) }
}
