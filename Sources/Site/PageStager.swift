import Dispatch
import Foundation
import Synchronization

/// Renders, digests and stages the site's files on every core while the building thread
/// prepares the next ones.
///
/// Preparing a page reads the repository, which libgit2 allows from one thread at a time, so
/// it stays on the caller's thread; what follows needs nothing but the page's own values:
/// Mustache (most of a full build's time), the Markdown of generated reports (`.later`) and
/// the SHA-256 that decides whether the file changed run on every core; one thread writes the changed files into the staging folder.
/// At most `inFlight` files wait in memory at once.
final class PageStager: Sendable {
    /// What happened to one submitted file.
    struct Outcome: Sendable {
        /// SHA-256 of the content.
        var digest: String
        /// False when the content equals the previous build's (`unchangedDigest`): nothing was written.
        var staged: Bool
    }

    private let templates: TemplateSet
    private let stagingPath: String
    private let queue = DispatchQueue(label: "modelgate.site.render", attributes: .concurrent)
    private let writer = DispatchQueue(label: "modelgate.site.write")
    private let group = DispatchGroup()
    private let slots: DispatchSemaphore
    /// Outcomes by submission index, and the failure of the earliest failed submission.
    private let state = Mutex<(outcomes: [Int: Outcome], failure: (index: Int, error: any Error)?)>(
        ([:], nil))

    init(templates: TemplateSet, stagingPath: String, inFlight: Int = 64) {
        self.templates = templates
        self.stagingPath = stagingPath
        slots = DispatchSemaphore(value: inFlight)
    }

    /// Queues file `index` (its folder in the staging folder must exist); `unchangedDigest` is
    /// the previous build's digest of the file when it is still on disk.
    func submit(_ index: Int, path: String, content: FileContent, unchangedDigest: String?) {
        slots.wait()
        queue.async(group: group) { [self] in
            do {
                let data: Data
                switch content {
                case .bytes(let bytes): data = bytes
                case .later(let make): data = make()
                case .page(let template, let context):
                    data = Data(try templates.render(template, context).utf8)
                }
                let digest = SHA256Hex.of(data)
                guard digest != unchangedDigest else {
                    finished(index, Outcome(digest: digest, staged: false))
                    return
                }
                // One thread creates the files: two creating files in one folder contend for
                // its lock, and the kernel spins on it (most of a build's system time, measured).
                writer.async(group: group) { [self] in
                    do {
                        try SiteWriter.writePlain(data, to: stagingPath + "/" + path)
                        finished(index, Outcome(digest: digest, staged: true))
                    } catch {
                        failed(index, error)
                    }
                }
            } catch {
                failed(index, error)
            }
        }
    }

    private func finished(_ index: Int, _ outcome: Outcome) {
        state.withLock { $0.outcomes[index] = outcome }
        slots.signal()
    }

    private func failed(_ index: Int, _ error: any Error) {
        state.withLock { state in
            if state.failure.map({ index < $0.index }) ?? true { state.failure = (index, error) }
        }
        slots.signal()
    }

    /// True once a submitted file has failed: submitting more is wasted work.
    var hasFailed: Bool { state.withLock { $0.failure != nil } }

    /// Waits for every submitted file; rethrows the error of the earliest one that failed.
    func finish() throws -> [Int: Outcome] {
        group.wait()
        return try state.withLock { state in
            if let failure = state.failure { throw failure.error }
            return state.outcomes
        }
    }
}
