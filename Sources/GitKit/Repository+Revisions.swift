import CLibGit2
import Foundation

extension Repository {
    /// The commit HEAD points at, or nil on an unborn branch (a repository with no commits yet).
    public func head() throws -> Commit? {
        var oid = git_oid()
        let code = git_reference_name_to_id(&oid, handle, "HEAD")
        if code == GIT_ENOTFOUND.rawValue || code == GIT_EUNBORNBRANCH.rawValue { return nil }
        try check(code, "read HEAD", location: gitDirectory.path)
        return try commit(ObjectID(oid))
    }

    /// The branch HEAD is on ("main"), also when it has no commits yet; nil when HEAD is detached.
    public var headBranch: String? {
        get throws {
            var reference: OpaquePointer?
            try check(git_reference_lookup(&reference, handle, "HEAD"), "read HEAD")
            defer { git_reference_free(reference) }
            guard let target = git_reference_symbolic_target(reference) else { return nil }
            let name = String(cString: target)
            let prefix = "refs/heads/"
            return name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : name
        }
    }

    /// Resolves a revision (`HEAD~2`, a branch, a tag, a short id…) to a commit id, like `git rev-parse REV^{commit}`.
    ///
    /// Annotated tags are peeled to the commit they tag. An unknown, ambiguous or non-commit
    /// revision is a `GitError` with exit status 2.
    public func resolveCommit(_ revspec: String) throws -> ObjectID {
        var object: OpaquePointer?
        let code = git_revparse_single(&object, handle, revspec)
        if code < 0 {
            let raw = GitError.last(code: code, operation: "resolve '\(revspec)'")
            if revspec.hasPrefix("HEAD"), git_repository_head_unborn(handle) == 1 {
                throw GitError(
                    operation: "resolve '\(revspec)'", code: code,
                    message: "the current branch has no commits yet", location: revspec,
                    hint: "make a first commit, or name another revision", exitStatus: .badInput)
            }
            let ambiguous = code == GIT_EAMBIGUOUS.rawValue
            throw GitError(
                operation: "resolve '\(revspec)'", code: code,
                message: ambiguous
                    ? "the short id '\(revspec)' is ambiguous" : "unknown revision '\(revspec)'",
                location: revspec,
                hint: ambiguous
                    ? "give more hex digits of the commit id"
                    : "check the name with 'git rev-parse --verify \(revspec)' (\(raw.message))",
                exitStatus: .badInput)
        }
        defer { git_object_free(object) }
        var peeled: OpaquePointer?
        let peelCode = git_object_peel(&peeled, object, GIT_OBJECT_COMMIT)
        if peelCode < 0 {
            throw GitError(
                operation: "resolve '\(revspec)'", code: peelCode,
                message: "'\(revspec)' names a \(Repository.typeName(git_object_type(object))), not a commit",
                location: revspec, hint: "name a commit, branch or tag instead",
                exitStatus: .badInput)
        }
        defer { git_object_free(peeled) }
        return ObjectID(git_object_id(peeled))
    }

    /// The commit with id `id`; a `GitError` when it is missing, corrupt or not a commit.
    public func commit(_ id: ObjectID) throws -> Commit {
        var oid = id.raw
        var commit: OpaquePointer?
        try check(
            git_commit_lookup(&commit, handle, &oid), "read commit \(id.short)", location: id.hex)
        defer { git_commit_free(commit) }
        return Commit(commit!)
    }

    /// Commits from `start` back along first parents, newest first, like `git rev-list --first-parent`.
    public func firstParentHistory(from start: ObjectID, limit: Int? = nil) throws -> [Commit] {
        var result: [Commit] = []
        var next: ObjectID? = start
        // Following first parents by hand is a plain linked-list walk and needs no revwalk.
        while let id = next, limit.map({ result.count < $0 }) ?? true {
            let commit = try commit(id)
            result.append(commit)
            next = commit.parentIDs.first
        }
        return result
    }

    /// True when `ancestor` is `descendant` or reachable from it (`git merge-base --is-ancestor`).
    public func isAncestor(_ ancestor: ObjectID, of descendant: ObjectID) throws -> Bool {
        if ancestor == descendant { return true }
        var descendantOID = descendant.raw
        var ancestorOID = ancestor.raw
        let code = try check(
            git_graph_descendant_of(handle, &descendantOID, &ancestorOID),
            "check whether \(ancestor.short) is an ancestor of \(descendant.short)")
        return code == 1
    }

    /// Visits `start` and every commit it reaches, newest commit time first (libgit2's time
    /// sort, `git rev-list --date-order` without the topology), until `visit` returns false: one
    /// walk answers which of many commits are ancestors, where `isAncestor` walks once for each.
    public func visitAncestors(of start: ObjectID, _ visit: (ObjectID) throws -> Bool) throws {
        var walk: OpaquePointer?
        try check(git_revwalk_new(&walk, handle), "walk history")
        defer { git_revwalk_free(walk) }
        try check(git_revwalk_sorting(walk, GIT_SORT_TIME.rawValue), "walk history")
        var startOID = start.raw
        try check(git_revwalk_push(walk, &startOID), "walk history from \(start.short)", location: start.hex)
        var oid = git_oid()
        while true {
            let code = git_revwalk_next(&oid, walk)
            if code == GIT_ITEROVER.rawValue { return }
            try check(code, "walk history from \(start.short)")
            guard try visit(ObjectID(oid)) else { return }
        }
    }

    /// The best common ancestor of two commits (`git merge-base A B`), or nil when they share none.
    public func mergeBase(_ first: ObjectID, _ second: ObjectID) throws -> ObjectID? {
        var out = git_oid()
        var one = first.raw
        var two = second.raw
        let code = git_merge_base(&out, handle, &one, &two)
        if code == GIT_ENOTFOUND.rawValue { return nil }
        try check(code, "find the merge base of \(first.short) and \(second.short)")
        return ObjectID(out)
    }

    /// Commits reachable from `tip` but not from any of `excluded` (`git rev-list TIP ^X…`), newest first.
    ///
    /// Annotated tag ids are peeled to their commits, as pre-push input needs. Excluded ids this
    /// repository does not have (a remote tip nobody fetched yet, the all-zero id of a new
    /// branch) are ignored, which can only make the result larger, never hide a new commit. The
    /// order is libgit2's topological-then-time order; compare as sets when matching `git rev-list`.
    public func commits(reachableFrom tip: ObjectID, excluding excluded: [ObjectID]) throws -> [ObjectID] {
        var walk: OpaquePointer?
        try check(git_revwalk_new(&walk, handle), "walk history")
        defer { git_revwalk_free(walk) }
        try check(
            git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue),
            "walk history")
        var tipOID = tip.raw
        try check(git_revwalk_push(walk, &tipOID), "walk history from \(tip.short)", location: tip.hex)
        for id in excluded where !id.isZero {
            var oid = id.raw
            let code = git_revwalk_hide(walk, &oid)
            // Missing objects and non-commits (a tree or blob) have no history to hide.
            if code == GIT_ENOTFOUND.rawValue || code == GIT_EPEEL.rawValue
                || code == GIT_EINVALIDSPEC.rawValue
            {
                continue
            }
            try check(code, "exclude \(id.short) from the history walk", location: id.hex)
        }
        var result: [ObjectID] = []
        var oid = git_oid()
        while true {
            let code = git_revwalk_next(&oid, walk)
            if code == GIT_ITEROVER.rawValue { break }
            try check(code, "walk history from \(tip.short)")
            result.append(ObjectID(oid))
        }
        return result
    }

    /// A readable name for a libgit2 object type, for error messages.
    static func typeName(_ type: git_object_t) -> String {
        switch type {
        case GIT_OBJECT_COMMIT: "commit"
        case GIT_OBJECT_TREE: "tree"
        case GIT_OBJECT_BLOB: "blob"
        case GIT_OBJECT_TAG: "tag"
        default: "object"
        }
    }
}
