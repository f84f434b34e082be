import FileSafety
import Foundation

/// Moves checked files from a staging folder into an existing target folder, through folder
/// descriptors (`DirectoryHandle`), all or nothing.
///
/// First a plan, before anything moves: every folder on the way to every file is opened
/// without following links — a symbolic link there (`out/sub -> /elsewhere`) is refused, as is
/// a file where a folder goes — and every file that would be overwritten is collected; unless
/// `overwrite`, any such file refuses the whole pull. Then each file is renamed into place
/// (same file system: the staging folder is inside the target). An overwritten file is first
/// renamed aside into the staging folder, so that when a later step fails every move is undone
/// in reverse order and the folders it created are removed: the target is left as it was.
struct TargetPlacement {
    let staging: PullStaging
    /// The staging folder holding exactly the files to place.
    let result: DirectoryHandle
    let overwrite: Bool

    private var target: DirectoryHandle { staging.container }

    /// One step done, to undo on failure.
    private enum Step {
        case createdFolder(ArraySlice<String>)
        case setAside([String], as: String)
        case placed([String])
    }

    /// Places `paths` (relative, checked) from `result` into the target.
    func place(_ paths: [String]) throws {
        let split = paths.map { $0.split(separator: "/").map(String.init) }
        let existing = try plan(split)
        if !existing.isEmpty && !overwrite {
            throw UnpackError.wouldOverwrite(existing, target: target.path)
        }
        let aside = overwrite && !existing.isEmpty ? try staging.folder.makeFolder("replaced").0 : nil
        var steps: [Step] = []
        do {
            for components in split {
                let name = components[components.count - 1]
                let folder = try target.walk(components.dropLast(), creating: true) {
                    steps.append(.createdFolder(components[..<$0]))
                }
                if let aside, try folder.kind(of: name) == .file {
                    let asideName = String(steps.count)
                    try folder.move(name, to: aside, as: asideName)
                    steps.append(.setAside(components, as: asideName))
                }
                try result.walk(components.dropLast()).move(name, to: folder, as: name)
                steps.append(.placed(components))
                folder.sync()
            }
        } catch {
            undo(steps, aside: aside)
            throw error
        }
    }

    /// The paths of files the placement would overwrite; throws for a link or anything but a
    /// folder on the way, and for anything but a file at a file's place.
    private func plan(_ paths: [[String]]) throws -> [String] {
        var existing: [String] = []
        for components in paths {
            var folder = target
            var isNew = false
            for (index, component) in components.enumerated() {
                let relative = components[...index].joined(separator: "/")
                let display =
                    target.path.hasSuffix("/") ? target.path + relative : "\(target.path)/\(relative)"
                let isLast = index == components.count - 1
                switch try folder.kind(of: component) {
                case .missing:
                    isNew = true
                case .link(let destination):
                    throw UnpackError.linkInTarget(display, destination: destination)
                case .folder where !isLast:
                    folder = try folder.folder(component)
                case .file where isLast:
                    existing.append(relative)
                case .folder:
                    throw UnpackError.inTheWay(display, found: "folder", needed: "file")
                case .file:
                    throw UnpackError.inTheWay(display, found: "file", needed: "folder")
                case .other:
                    throw UnpackError.inTheWay(
                        display, found: "special file", needed: isLast ? "file" : "folder")
                }
                if isNew { break }
            }
        }
        return existing
    }

    /// Undoes `steps` in reverse, as far as it can (this runs only after a failure).
    private func undo(_ steps: [Step], aside: DirectoryHandle?) {
        for step in steps.reversed() {
            switch step {
            case .placed(let components):
                let name = components[components.count - 1]
                try? target.walk(components.dropLast()).move(
                    name, to: result.walk(components.dropLast()), as: name)
            case .setAside(let components, let asideName):
                guard let aside else { continue }
                try? aside.move(
                    asideName, to: target.walk(components.dropLast()), as: components[components.count - 1])
            case .createdFolder(let components):
                try? target.walk(components.dropLast()).remove(
                    components[components.count - 1], isFolder: true)
            }
        }
    }
}
