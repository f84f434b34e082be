/// The environment every child process gets: ours, minus the variables that tie git to one
/// repository, plus what the caller adds.
///
/// git itself keeps such a list (`git rev-parse --local-env-vars`) and clears it whenever it
/// runs a command in another repository (a submodule). A hook runs with several of them set
/// (`GIT_DIR`, `GIT_INDEX_FILE`, `GIT_PREFIX`…, and `git -c` settings in
/// `GIT_CONFIG_PARAMETERS`); left in place, they would point a stage's `git`, or the `git`
/// modelgate runs itself, at the user's repository, index or object store instead of the one
/// meant. The notes variables would redirect `git notes` to another ref. Every child of
/// modelgate gets its environment from here, so there is one policy to read and to test.
public enum ChildEnvironment {
    /// Variables never passed on: git's local environment variables (`git rev-parse
    /// --local-env-vars`, git 2.39), those git sets for hooks, and the notes refs.
    public static let repositoryVariables: Set<String> = [
        // git rev-parse --local-env-vars
        "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
        "GIT_OBJECT_DIRECTORY", "GIT_DIR", "GIT_WORK_TREE", "GIT_IMPLICIT_WORK_TREE", "GIT_GRAFT_FILE",
        "GIT_INDEX_FILE", "GIT_NO_REPLACE_OBJECTS", "GIT_REPLACE_REF_BASE", "GIT_PREFIX",
        "GIT_INTERNAL_SUPER_PREFIX", "GIT_SHALLOW_FILE", "GIT_COMMON_DIR",
        // set by git for the hooks that start modelgate
        "GIT_QUARANTINE_PATH", "GIT_REFLOG_ACTION", "GIT_EDITOR", "GIT_AUTHOR_DATE", "GIT_NAMESPACE",
        // would point `git notes` at another ref than refs/notes/modelgate
        "GIT_NOTES_REF", "GIT_NOTES_DISPLAY_REF", "GIT_NOTES_REWRITE_REF", "GIT_NOTES_REWRITE_MODE",
    ]

    /// True for a variable that is not passed on; `GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n` go
    /// with `GIT_CONFIG_COUNT`.
    public static func isRepositoryVariable(_ name: String) -> Bool {
        repositoryVariables.contains(name) || name.hasPrefix("GIT_CONFIG_KEY_")
            || name.hasPrefix("GIT_CONFIG_VALUE_")
    }

    /// `base` without the repository variables, with `additions` on top (they win).
    public static func make(base: [String: String], adding additions: [String: String] = [:])
        -> [String: String]
    {
        var variables = base.filter { !isRepositoryVariable($0.key) }
        variables.merge(additions) { _, new in new }
        return variables
    }
}
