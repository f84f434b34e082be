import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// How much of a response body is read, and where it goes. The bodies of answers other than
/// 2xx (errors, challenges, redirects not followed) are informative whatever the limit.
enum ResponseLimit {
    /// Kept up to `BodyCollector.informativeLimit`; the rest is not read and the answer stands.
    case informative
    /// Read into memory; more than `limit` bytes is `RegistryError.responseTooLarge(what:)`.
    case document(what: String, limit: Int)
    /// Streamed to `file`; more bytes than its declared size is `RegistryError.blobTooLarge`.
    case blob(BlobFile)
}

/// One response body on its way in, held to its `ResponseLimit`.
final class BodyCollector {
    /// What is kept of an informative body.
    static let informativeLimit = 64 << 10

    let limit: ResponseLimit
    let registry: String
    /// The body (empty for a blob, which goes to its file).
    private(set) var data = Data()
    /// True while the answer is 2xx: the body the caller asked for.
    private var isPayload = false

    init(_ limit: ResponseLimit, registry: String) {
        self.limit = limit
        self.registry = registry
    }

    /// A response begins (again, when URLSession retried): what came before is dropped. Fails
    /// at once when Content-Length already announces more than the limit.
    func begin(_ response: HTTPURLResponse) throws {
        data = Data()
        isPayload = (200..<300).contains(response.statusCode)
        guard isPayload else { return }
        // With a Content-Encoding, the length is the encoded size: only the bytes can tell.
        let encoding = response.value(forHTTPHeaderField: "Content-Encoding")?.lowercased() ?? "identity"
        let announced = encoding == "identity" ? response.expectedContentLength : -1
        switch limit {
        case .informative: break
        case .document(let what, let limit):
            if announced > Int64(limit) {
                throw RegistryError.responseTooLarge(what: what, limit: limit, registry: registry)
            }
        case .blob(let file):
            try file.restart()
            if announced > file.declared {
                throw RegistryError.blobTooLarge(
                    digest: file.digest, declared: file.declared, received: announced, registry: registry)
            }
        }
    }

    /// Takes the next piece; false when the rest of an informative body is not wanted.
    func take(_ chunk: Data) throws -> Bool {
        if isPayload {
            switch limit {
            case .informative: break
            case .document(let what, let limit):
                guard data.count + chunk.count <= limit else {
                    throw RegistryError.responseTooLarge(what: what, limit: limit, registry: registry)
                }
                data.append(chunk)
                return true
            case .blob(let file):
                try file.write(chunk)
                return true
            }
        }
        let room = Self.informativeLimit - data.count
        data.append(chunk.prefix(room))
        return chunk.count < room
    }
}

/// The session delegate of one client: runs each request as a task of its own, streams the
/// body into a `BodyCollector` as it arrives, and applies `RegistryAuth`'s decisions to redirects
/// and challenges (that part is in RegistryAuth.swift).
///
/// The guarantee: a request ends the moment its answer is decided — a body refused by its limit,
/// an informative body read far enough, a redirect refused, its time (`ExchangeBudget`) up —
/// whatever the registry goes on sending and whatever FoundationNetworking's transfer thread is
/// doing. The mechanism: each request is an `Exchange` in a table, holding the caller's
/// continuation. Whoever decides removes the exchange from the table and resumes the continuation
/// at once (under the table's lock, so exactly one decision wins); callbacks that come later find
/// no exchange and return at once, and the task is asked to cancel (which, in FoundationNetworking,
/// waits for the transfer thread, and may land late or, while a registry keeps sending, not at
/// all; the caller no longer waits for it). A task that ends by itself (a redirect answered nil,
/// a completed task) is not cancelled, and none is cancelled while one of its redirects is being
/// answered (`beginRedirect`). A watchdog ends, four times a second, every exchange
/// past its time (`ExchangeBudget`), which FoundationNetworking does not bound.
final class RegistryTransport: NSObject, URLSessionDataDelegate, Sendable {
    /// A finished exchange: the last response and its body (what the limit kept).
    struct Reply: Sendable {
        let response: HTTPURLResponse
        let body: Data
    }

    /// One request in flight. Touched only under `exchanges`' lock while in the table, and only by
    /// whoever removed it afterwards.
    private final class Exchange: @unchecked Sendable {
        let task: URLSessionTask
        let collector: BodyCollector
        let budget: ExchangeBudget
        let carriesSecret: Bool
        let continuation: CheckedContinuation<Reply, Error>
        var response: HTTPURLResponse?
        /// Since when the head of the current answer is awaited; nil once it arrived.
        var waitingSince: ContinuousClock.Instant?
        /// The challenge was declined: the 401 the task ends with is the answer.
        var keepsResponse = false
        var redirects = 0
        /// A redirect of it is being answered (`beginRedirect`): not to be cancelled meanwhile.
        var isAnsweringRedirect = false

        init(
            _ task: URLSessionTask, _ collector: BodyCollector, _ budget: ExchangeBudget, carriesSecret: Bool,
            _ continuation: CheckedContinuation<Reply, Error>
        ) {
            self.task = task
            self.collector = collector
            self.budget = budget
            self.carriesSecret = carriesSecret
            self.continuation = continuation
            waitingSince = budget.start
        }

        /// The answer so far, as the result of the exchange.
        var reply: Result<Reply, Error> {
            guard let response = response ?? (task.response as? HTTPURLResponse) else {
                return .failure(RegistryError.noHTTPResponse(registry: collector.registry))
            }
            return .success(Reply(response: response, body: collector.data))
        }
    }

    let auth: RegistryAuth
    /// `ExchangeBudget.allowance`, unless a test asks for less.
    private let allowance: Duration
    private let exchanges = Mutex<[Int: Exchange]>([:])
    /// Checks the budgets; a dispatch source is safe to use from any thread.
    private nonisolated(unsafe) let watchdog: DispatchSourceTimer

    init(auth: RegistryAuth, allowance: Duration = ExchangeBudget.allowance) {
        self.auth = auth
        self.allowance = allowance
        watchdog = DispatchSource.makeTimerSource(queue: .global())
        super.init()
        watchdog.schedule(deadline: .now() + .milliseconds(250), repeating: .milliseconds(250))
        watchdog.setEventHandler { [weak self] in self?.endOverdueExchanges() }
        watchdog.resume()
    }

    deinit { watchdog.cancel() }

    /// Runs `request` (with `upload` as its body, or `sending` bytes of a body stream) on
    /// `session` to its end. `carriesSecret` for a request whose body holds a credential: it is
    /// never redirected to another origin.
    func perform(
        _ request: URLRequest, upload: Data? = nil, sending: Int64 = 0, on session: URLSession,
        limit: ResponseLimit, carriesSecret: Bool = false
    ) async throws -> Reply {
        let task =
            upload.map { session.uploadTask(with: request, from: $0) } ?? session.dataTask(with: request)
        let collector = BodyCollector(limit, registry: auth.registryName)
        let budget = ExchangeBudget(
            sending: Int64(upload?.count ?? 0) + sending + Int64(request.httpBody?.count ?? 0),
            receiving: limit.bytes, from: .now, allowance: allowance)
        return try await withCheckedThrowingContinuation { continuation in
            let exchange = Exchange(task, collector, budget, carriesSecret: carriesSecret, continuation)
            exchanges.withLock { $0[task.taskIdentifier] = exchange }
            task.resume()
        }
    }

    /// Decides `task`'s exchange, if it is still open: `rule` returns its result (nil to leave it
    /// open); a decided exchange is removed, its caller resumed and (unless `cancelling` is false:
    /// the task ends by itself) its task cancelled.
    private func decide(
        _ task: URLSessionTask, cancelling: Bool = true, _ rule: (Exchange) -> Result<Reply, Error>?
    ) {
        let decided = exchanges.withLock { all -> Decided? in
            guard let exchange = all[task.taskIdentifier], let result = rule(exchange) else { return nil }
            all[task.taskIdentifier] = nil
            return Decided(exchange, result)
        }
        decided?.deliver(cancelling: cancelling)
    }

    /// Ends every exchange past its budget (`ExchangeBudget`).
    private func endOverdueExchanges() {
        let now = ContinuousClock.now
        let overdue = exchanges.withLock { all -> [Decided] in
            var ended: [Decided] = []
            for (identifier, exchange) in all where !exchange.isAnsweringRedirect {
                guard let spent = exchange.budget.overrun(waitingSince: exchange.waitingSince, at: now) else {
                    continue
                }
                all[identifier] = nil
                let address = exchange.task.currentRequest?.url?.absoluteString ?? auth.registryName
                let error = RegistryError.tooSlow(
                    registry: auth.registryName, address: auth.redact(address),
                    seconds: Int(spent.components.seconds))
                ended.append(Decided(exchange, .failure(error)))
            }
            return ended
        }
        for decided in overdue { decided.deliver(cancelling: true) }
    }

    /// A decided exchange, reduced to what its caller needs. The exchange itself (and the blob
    /// file its collector writes) is let go first, so that when the caller resumes, nothing of
    /// the exchange is left: a failed download's file is gone by the time the error arrives.
    private struct Decided {
        let continuation: CheckedContinuation<Reply, Error>
        let task: URLSessionTask
        let result: Result<Reply, Error>

        init(_ exchange: Exchange, _ result: Result<Reply, Error>) {
            continuation = exchange.continuation
            task = exchange.task
            self.result = result
        }

        /// Resumes the caller and, when `cancelling`, asks the task to cancel.
        func deliver(cancelling: Bool) {
            continuation.resume(with: result)
            if cancelling { RegistryTransport.cancel(task) }
        }
    }

    /// A redirect of `task` is to be answered: counts it, and returns the count so far and
    /// whether its body is secret; nil when the exchange has already ended. Until `endRedirect`,
    /// the exchange is not cancelled: FoundationNetworking traps (`fatalError` in
    /// HTTPURLProtocol's `didCompleteRedirectCallback`) on a redirect answer given after a
    /// cancellation landed while it waited for that answer.
    func beginRedirect(of task: URLSessionTask) -> (count: Int, carriesSecret: Bool)? {
        exchanges.withLock { all in
            guard let exchange = all[task.taskIdentifier] else { return nil }
            exchange.redirects += 1
            exchange.waitingSince = .now
            exchange.isAnsweringRedirect = true
            return (exchange.redirects, exchange.carriesSecret)
        }
    }

    /// The redirect of `task` is answered (the answer is queued before any later cancellation).
    func endRedirect(of task: URLSessionTask) {
        exchanges.withLock { $0[task.taskIdentifier]?.isAnsweringRedirect = false }
    }

    /// Ends `task`'s exchange with `error` now, without cancelling the task (which ends by itself).
    func end(_ task: URLSessionTask, with error: Error) {
        decide(task, cancelling: false) { _ in .failure(error) }
    }

    /// The answer `task` has is its result, though the task is being cancelled.
    func keepResponse(of task: URLSessionTask) {
        exchanges.withLock { all in
            all[task.taskIdentifier]?.keepsResponse = true
            all[task.taskIdentifier]?.waitingSince = nil
        }
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @Sendable @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        // Always allowed, then ended if refused: FoundationNetworking reads a cancelled
        // disposition's body to its end.
        completionHandler(.allow)
        guard let http = response as? HTTPURLResponse else { return }
        decide(dataTask) { exchange in
            exchange.response = http
            exchange.waitingSince = nil
            exchange.keepsResponse = false
            do {
                try exchange.collector.begin(http)
                return nil
            } catch {
                return .failure(error)
            }
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        decide(dataTask) { exchange in
            do {
                // An informative body read far enough: the answer stands as it is.
                return try exchange.collector.take(data) ? nil : exchange.reply
            } catch {
                return .failure(error)
            }
        }
    }

    /// Cancels `task` from another thread: `cancel()` waits for the transfer thread, which may
    /// be waiting for this (delegate) queue in `BoundedDelegateQueue.addOperation`.
    static func cancel(_ task: URLSessionTask) {
        DispatchQueue.global().async { task.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        decide(task, cancelling: false) { exchange in
            if error == nil || exchange.keepsResponse { return exchange.reply }
            return .failure(error ?? RegistryError.noHTTPResponse(registry: auth.registryName))
        }
    }
}

/// How long one exchange may last, fixed when it starts from what it may move.
///
/// FoundationNetworking sets no such bound: its resource timeout is never read on Linux, and its
/// idle timeout (`timeoutIntervalForRequest`) restarts at every byte, so a registry dripping a
/// body (a byte a minute, within the declared size) holds a pull forever; and it keeps a
/// redirect's body in memory, unseen by the delegate and unbounded, until the body ends. So an
/// exchange gets `allowance` (as long as the idle timeout: time for the registry to think) plus a
/// second for every `slowestRate` bytes it sends, to see the head of each answer (a redirect's
/// body that never ends is stopped there); and, in all, that plus a second for every
/// `slowestRate` bytes it may receive. A slow honest registry (16 KiB/s is a 128 kbit/s line)
/// is waited for; one that stalls is stopped once its time is up.
struct ExchangeBudget {
    /// Time any exchange gets, whatever its size: as long as the idle timeout.
    static let allowance: Duration = .seconds(300)
    /// The slowest pace waited for, in bytes a second.
    static let slowestRate: Int64 = 16 << 10

    let start: ContinuousClock.Instant
    /// The time to see an answer's head.
    let head: Duration
    /// The time for the whole exchange.
    let whole: Duration

    /// The budget of an exchange sending `sending` bytes and receiving at most `receiving`.
    init(
        sending: Int64, receiving: Int64, from start: ContinuousClock.Instant,
        allowance: Duration = Self.allowance
    ) {
        // Whole seconds, each part capped at a year, so that no sum overflows a Duration.
        func seconds(_ bytes: Int64) -> Duration {
            .seconds(min(max(0, bytes) / Self.slowestRate, 31_536_000))
        }
        self.start = start
        head = allowance + seconds(sending)
        whole = head + seconds(receiving)
    }

    /// The time that ran out, or nil while the exchange is within its budget at `now`;
    /// `waitingSince` is when it began to wait for the head of its current answer (when it
    /// started, or its last redirect), nil once that head arrived.
    func overrun(waitingSince: ContinuousClock.Instant?, at now: ContinuousClock.Instant) -> Duration? {
        if let waitingSince, now - waitingSince > head { return head }
        return now - start > whole ? whole : nil
    }
}

extension ResponseLimit {
    /// The most body bytes an answer under this limit is read for.
    var bytes: Int64 {
        switch self {
        case .informative: Int64(BodyCollector.informativeLimit)
        case .document(_, let limit): Int64(limit)
        case .blob(let file): file.declared
        }
    }
}

/// The session's delegate queue: serial, and it holds back whoever feeds it. libcurl cannot
/// pause, and FoundationNetworking hands each 16 KiB of a body to the delegate as one operation,
/// so a registry faster than the disk would pile the body up in memory. Here `addOperation`
/// makes the caller (FoundationNetworking's transfer thread) wait once `limit` operations are
/// pending, until half of them have run: libcurl then stops reading, and TCP's flow control
/// holds the registry back. (Waking it at half, not at each operation, saves a wake-up per chunk.)
///
/// No deadlock: an operation added from this queue itself never waits, and the delegate never
/// waits for the transfer thread from here (`RegistryTransport.cancel` and the challenge answer
/// run on another thread, since `URLSessionTask.cancel()` syncs with the transfer thread). Once
/// an exchange has ended, its remaining operations return at once, so the queue drains.
final class BoundedDelegateQueue: OperationQueue, @unchecked Sendable {
    private let limit: Int
    private let condition = NSCondition()
    /// Operations added and not yet run; guarded by `condition`.
    private var pending = 0

    /// A serial queue with at most `limit` operations waiting (64 × 16 KiB: 1 MiB of body).
    init(limit: Int = 64) {
        self.limit = limit
        super.init()
        maxConcurrentOperationCount = 1
    }

    override func addOperation(_ block: @Sendable @escaping () -> Void) {
        let isOwn = OperationQueue.current === self
        condition.lock()
        if !isOwn, pending >= limit {
            while pending > limit / 2 { condition.wait() }
        }
        pending += 1
        condition.unlock()
        super.addOperation { [self] in
            block()
            condition.lock()
            pending -= 1
            if pending == limit / 2 { condition.broadcast() }
            condition.unlock()
        }
    }
}
