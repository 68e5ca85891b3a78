import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Set by SIGTERM/SIGINT; read between steps. An atomic, so the handler is async-signal-safe.
private let stopRequested = Atomic<Bool>(false)

/// A clean stop asked for by SIGTERM or SIGINT, read by the loop between steps.
///
/// The handler does nothing but store into a lock-free atomic, the only kind of
/// work that is async-signal-safe; the loop polls ``isRequested`` and finishes
/// the step it is in. SIGPIPE is ignored, so a closed pipe is an error return
/// (`EPIPE`), never a death.
public enum StopSignal {
    /// Installs the SIGTERM/SIGINT handlers, ignores SIGPIPE, and unblocks the two signals.
    public static func install() {
        // The global is initialised lazily (swift_once, which takes a lock); touch it
        // here, so the handler only ever performs the lock-free store.
        _ = stopRequested.load(ordering: .relaxed)
        let handler: @convention(c) (Int32) -> Void = { _ in stopRequested.store(true, ordering: .relaxed) }
        signal(SIGTERM, handler)
        signal(SIGINT, handler)
        signal(SIGPIPE, SIG_IGN)
        // A parent may have started us with these blocked (a signal mask is
        // inherited across exec); a daemon that cannot see SIGTERM cannot stop cleanly.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Whether a stop was requested.
    public static var isRequested: Bool { stopRequested.load(ordering: .relaxed) }

    /// Requests a stop from code, as the signal would (for an in-process caller or a test).
    public static func request() { stopRequested.store(true, ordering: .relaxed) }

    /// Forgets a request, so a test can run a loop again in the same process.
    public static func reset() { stopRequested.store(false, ordering: .relaxed) }
}

/// Set by SIGHUP; taken between steps.
private let reloadRequested = Atomic<Bool>(false)

/// A request to re-read the configuration (SIGHUP, as `systemctl reload` sends it), taken by the loop between steps.
///
/// The same async-signal-safe pattern as ``StopSignal``: the handler only stores
/// into a lock-free atomic; ``take()`` reads and clears it, so one SIGHUP is one reload.
public enum ReloadSignal {
    /// Installs the SIGHUP handler and unblocks the signal (by default SIGHUP would end the process).
    public static func install() {
        _ = reloadRequested.load(ordering: .relaxed)
        let handler: @convention(c) (Int32) -> Void = { _ in reloadRequested.store(true, ordering: .relaxed) }
        signal(SIGHUP, handler)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGHUP)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Whether a reload was requested since the last call; clears the request.
    public static func take() -> Bool { reloadRequested.exchange(false, ordering: .relaxed) }

    /// Requests a reload from code, as the signal would.
    public static func request() { reloadRequested.store(true, ordering: .relaxed) }
}
