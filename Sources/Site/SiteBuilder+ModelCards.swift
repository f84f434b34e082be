import Foundation
import GitKit
import Pipeline

/// A page per release with its model card (`releases/<tag>.html`), and the card itself as
/// Markdown beside it (`releases/<tag>.md`, the file an image carries as `/model/README.md`).
extension SiteBuilder {
    /// A release whose commit has a readable record, with what its card is made of.
    struct CardPlan {
        let release: Release
        let slug: String
        let card: ModelCard
        /// Everything the card depends on, for the page keys.
        let key: String
    }

    /// The releases that get a model card: model releases (modelgate's trailers or a GTO name;
    /// plain tags are not releases of a model) on a commit with a readable run record.
    func cardPlans() -> [CardPlan] {
        var plans: [CardPlan] = []
        var slugs = Set<String>()
        for release in history.releases where release.isModelRelease {
            let position = positionByCommit[release.commit]
            guard
                let record = position.flatMap({ entries[$0].record })
                    ?? ((try? RecordNotes(repository: repository).record(on: release.commit)) ?? nil)
            else { continue }
            var slug = Slug.make(release.tag)
            while !slugs.insert(slug).inserted { slug += "-2" }
            let authored = ModelCard.authoredText(in: repository, commit: release.commit)
            let card = ModelCard(
                model: history.model,
                release: .init(
                    tag: release.tag, version: release.version, environment: release.environment,
                    date: release.date),
                commit: release.commit, record: record, signer: vouchers[release.commit], authored: authored)
            let key = SHA256Hex.of(parts: [
                globalKey, "card", releaseKey(release), entryKey(position),
                (try? record.encoded()).map {
                    SHA256Hex.of(parts: [String(decoding: $0, as: UTF8.self)])
                } ?? "-", authored ?? "-", vouchers[release.commit] ?? "-",
            ])
            plans.append(CardPlan(release: release, slug: slug, card: card, key: key))
        }
        return plans
    }

    /// `releases/<slug>.md` and `releases/<slug>.html` of every release with a card.
    func cardFiles(_ plans: [CardPlan]) -> [PlannedFile] {
        plans.flatMap { plan -> [PlannedFile] in
            [
                PlannedFile(path: "releases/\(plan.slug).md", key: SHA256Hex.of(parts: [plan.key, "md"])) {
                    .bytes(Data(try plan.card.render().utf8))
                },
                PlannedFile(path: "releases/\(plan.slug).html", key: plan.key) { [unowned self] in
                    render(
                        "pages/release", root: "../", title: "Model card \(plan.release.tag)",
                        [
                            "tag": plan.release.tag, "markdown": "\(plan.slug).md",
                            "frontMatter": try plan.card.frontMatter(),
                            "html": MarkdownPage.html(from: plan.card.body()),
                            "commitHref": commitHref(plan.release.commit), "short": plan.release.commit.short,
                        ])
                },
            ]
        }
    }
}
