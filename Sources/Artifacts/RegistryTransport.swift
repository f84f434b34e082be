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
/// body into a `BodyCollector` as it arrives (libcurl cannot pause, so a body over its limit
/// ends the task at once), and applies `RegistryAuth`'s decisions to redirects and challenges
/// (that part is in RegistryAuth.swift).
final class RegistryTransport: NSObject, URLSessionDataDelegate, Sendable {
    /// A finished exchange: the last response and its body (what the limit kept).
    struct Reply: Sendable {
        let response: HTTPURLResponse
        let body: Data
    }

    /// One task's state. Touched only under `exchanges`' lock.
    private final class Exchange: @unchecked Sendable {
        let collector: BodyCollector
        let carriesSecret: Bool
        var continuation: CheckedContinuation<Reply, Error>?
        var response: HTTPURLResponse?
        /// Set by a limit or a policy refusal; wins over whatever URLSession reports after.
        var failure: Error?
        /// We stopped the task with its answer in hand (an informative body long enough, a
        /// challenge declined): the response stands.
        var keepsResponse = false
        var redirects = 0

        init(_ collector: BodyCollector, carriesSecret: Bool) {
            self.collector = collector
            self.carriesSecret = carriesSecret
        }
    }

    let auth: RegistryAuth
    private let exchanges = Mutex<[Int: Exchange]>([:])

    init(auth: RegistryAuth) {
        self.auth = auth
    }

    /// Runs `request` (with `upload` as its body) on `session` to its end. `carriesSecret` for a
    /// request whose body holds a credential: it is never redirected to another origin.
    func perform(
        _ request: URLRequest, upload: Data? = nil, on session: URLSession, limit: ResponseLimit,
        carriesSecret: Bool = false
    ) async throws -> Reply {
        let task =
            upload.map { session.uploadTask(with: request, from: $0) } ?? session.dataTask(with: request)
        let exchange = Exchange(
            BodyCollector(limit, registry: auth.registryName), carriesSecret: carriesSecret)
        return try await withCheckedThrowingContinuation { continuation in
            exchange.continuation = continuation
            exchanges.withLock { $0[task.taskIdentifier] = exchange }
            task.resume()
        }
    }

    /// Counts a redirect of `task`; returns the count so far and whether its body is secret.
    func countRedirect(of task: URLSessionTask) -> (count: Int, carriesSecret: Bool) {
        exchanges.withLock { all in
            guard let exchange = all[task.taskIdentifier] else { return (Int.max, true) }
            exchange.redirects += 1
            return (exchange.redirects, exchange.carriesSecret)
        }
    }

    /// Ends `task` with `error` (the first one recorded wins).
    func fail(_ task: URLSessionTask, with error: Error) {
        exchanges.withLock { all in
            if let exchange = all[task.taskIdentifier], exchange.failure == nil { exchange.failure = error }
        }
    }

    /// The answer `task` has is its result, though the task is being cancelled.
    func keepResponse(of task: URLSessionTask) {
        exchanges.withLock { $0[task.taskIdentifier]?.keepsResponse = true }
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @Sendable @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        // Always allowed, then cancelled if refused: FoundationNetworking reads a cancelled
        // disposition's body to its end (measured: all 50 MB of a lying blob), while a task
        // cancelled by `cancel()` hangs up.
        completionHandler(.allow)
        guard let http = response as? HTTPURLResponse else { return }
        let stop = exchanges.withLock { all -> Bool in
            guard let exchange = all[dataTask.taskIdentifier], exchange.failure == nil else { return false }
            exchange.response = http
            exchange.keepsResponse = false
            do {
                try exchange.collector.begin(http)
                return false
            } catch {
                exchange.failure = error
                return true
            }
        }
        if stop { Self.cancel(dataTask) }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let stop = exchanges.withLock { all -> Bool? in
            guard let exchange = all[dataTask.taskIdentifier] else { return false }
            // Already stopped: the cancellation is on its way (see `cancel`).
            guard exchange.failure == nil, !exchange.keepsResponse else { return nil }
            do {
                if try exchange.collector.take(data) { return false }
                exchange.keepsResponse = true
                return true
            } catch {
                exchange.failure = error
                return true
            }
        }
        switch stop {
        case true?: Self.cancel(dataTask)
        case nil:
            // Bytes past the decision are dropped, but slowly: the transfer thread waits on this
            // queue (`BoundedDelegateQueue`), so a registry cannot pour gigabytes through in the
            // moment the cancellation takes to land on a loaded machine.
            usleep(5_000)
        case false?: break
        }
    }

    /// Cancels `task` from another thread: `cancel()` waits for the transfer thread, which may
    /// be waiting for this (delegate) queue in `BoundedDelegateQueue.addOperation`.
    static func cancel(_ task: URLSessionTask) {
        DispatchQueue.global().async { task.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        let (continuation, result) = exchanges.withLock {
            all -> (CheckedContinuation<Reply, Error>?, Result<Reply, Error>) in
            guard let exchange = all.removeValue(forKey: task.taskIdentifier) else {
                return (nil, .failure(RegistryError.noHTTPResponse(registry: auth.registryName)))
            }
            let response = exchange.response ?? (task.response as? HTTPURLResponse)
            if let failure = exchange.failure { return (exchange.continuation, .failure(failure)) }
            if error == nil || exchange.keepsResponse, let response {
                return (
                    exchange.continuation, .success(Reply(response: response, body: exchange.collector.data))
                )
            }
            return (
                exchange.continuation,
                .failure(error ?? RegistryError.noHTTPResponse(registry: auth.registryName))
            )
        }
        continuation?.resume(with: result)
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
/// run on another thread, since `URLSessionTask.cancel()` syncs with the transfer thread).
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
