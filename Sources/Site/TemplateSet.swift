import Foundation
import Mustache

/// The site's Mustache pages and partials, stylesheet and default Markdown pages.
///
/// The defaults are compiled into the binary (`DefaultTemplates`, generated from
/// `site-templates/`), so an installed `modelgate` works from any directory. A `--templates`
/// folder with the same layout overrides any of them file by file.
public struct TemplateSet: @unchecked Sendable {
    /// Relative path (`pages/index.mustache`, `style.css`, `markdown/about.md`) → text.
    public let files: [String: String]
    /// The override folder, when one was given (for error messages).
    public let directory: String?
    /// A digest of every file, so pages re-render when a template changes.
    public let digest: String
    let library: MustacheLibrary

    /// The pages the site renders; each must exist.
    public static let requiredPages = [
        "pages/index", "pages/commits", "pages/commit", "pages/metrics", "pages/metric", "pages/releases",
        "pages/page",
    ]

    /// The compiled-in defaults, overridden by the files of `directory` when given.
    public static func load(overrides directory: URL? = nil) throws -> TemplateSet {
        var files = DefaultTemplates.files
        if let directory {
            for (path, text) in try readFolder(directory) { files[path] = text }
        }
        return try TemplateSet(files: files, directory: directory?.path)
    }

    /// Parses `files` and checks that every page and every partial they name exists.
    public init(files: [String: String], directory: String? = nil) throws {
        self.files = files
        self.directory = directory
        var templates: [String: MustacheTemplate] = [:]
        for (path, text) in files where path.hasSuffix(".mustache") {
            let name = String(path.dropLast(".mustache".count))
            do {
                templates[name] = try MustacheTemplate(string: text)
            } catch let error as MustacheTemplate.ParserError {
                throw SiteError.badTemplate(
                    name: name,
                    reason:
                        "\(error.error) at line \(error.context.lineNumber), column \(error.context.columnNumber)",
                    directory: directory)
            }
        }
        for page in Self.requiredPages where templates[page] == nil {
            throw SiteError.missingTemplate(name: page, neededBy: "", directory: directory)
        }
        for (path, text) in files.sorted(by: { $0.key < $1.key }) where path.hasSuffix(".mustache") {
            for partial in Self.partialNames(in: text) where templates[partial] == nil {
                throw SiteError.missingTemplate(
                    name: partial, neededBy: String(path.dropLast(".mustache".count)), directory: directory)
            }
        }
        if files["style.css"] == nil {
            throw SiteError.missingTemplate(name: "style.css", neededBy: "", directory: directory)
        }
        library = MustacheLibrary(templates: templates)
        digest = SHA256Hex.of(parts: files.sorted(by: { $0.key < $1.key }).flatMap { [$0.key, $0.value] })
    }

    /// Renders page or partial `name` with `context`.
    func render(_ name: String, _ context: [String: Any]) throws -> String {
        guard let text = library.render(context, withTemplate: name) else {
            throw SiteError.missingTemplate(name: name, neededBy: "", directory: directory)
        }
        return text
    }

    /// The stylesheet.
    var stylesheet: String { files["style.css"] ?? "" }

    /// The default Markdown pages (`markdown/NAME.md`), sorted by name.
    var markdownPages: [(name: String, text: String)] {
        files.filter { $0.key.hasPrefix("markdown/") && $0.key.hasSuffix(".md") }
            .map { (String($0.key.dropFirst("markdown/".count).dropLast(3)), $0.value) }
            .sorted { $0.name < $1.name }
    }

    /// The names in `{{> name}}` and `{{< name}}` tags of `text`.
    static func partialNames(in text: String) -> [String] {
        var names: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "{{") {
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.range(of: "}}") else { break }
            let tag = afterOpen[..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if let first = tag.first, first == ">" || first == "<" {
                let name = tag.dropFirst().trimmingCharacters(in: .whitespaces)
                if !name.isEmpty, !name.hasPrefix("*") { names.append(name) }
            }
            rest = afterOpen[close.upperBound...]
        }
        return names
    }

    /// Reads `*.mustache`, `*.css` and `*.md` below `directory`, keyed by relative path.
    static func readFolder(_ directory: URL) throws -> [String: String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory),
            isDirectory.boolValue,
            let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)
        else { throw SiteError.unreadableTemplates(directory.path) }
        let base = directory.standardizedFileURL.resolvingSymlinksInPath().path
        var files: [String: String] = [:]
        for case let url as URL in enumerator {
            let ext = url.pathExtension
            guard ext == "mustache" || ext == "css" || ext == "md" else { continue }
            let full = url.standardizedFileURL.resolvingSymlinksInPath().path
            guard full.hasPrefix(base + "/") else { continue }
            let relative = String(full.dropFirst(base.count + 1))
            guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                throw SiteError.unreadableTemplates(url.path)
            }
            files[relative] = text
        }
        return files
    }
}
