import CLibGit2
import Foundation

extension Repository {
    /// The value of config `key` as git sees it (all levels, last one wins); nil when unset.
    public func configString(_ key: String) throws -> String? {
        try withConfigSnapshot { config in
            var value: UnsafePointer<CChar>?
            let code = git_config_get_string(&value, config, key)
            if code == GIT_ENOTFOUND.rawValue { return nil }
            try checkConfig(code, "read config '\(key)'", key)
            // The string belongs to the snapshot, which lives until withConfigSnapshot returns.
            return value.map { String(cString: $0) }
        }
    }

    /// The boolean value of config `key` (true/yes/on/1 …); nil when unset, exit 2 when not a boolean.
    public func configBool(_ key: String) throws -> Bool? {
        try withConfigSnapshot { config in
            var value: Int32 = 0
            let code = git_config_get_bool(&value, config, key)
            if code == GIT_ENOTFOUND.rawValue { return nil }
            try checkConfig(code, "read config '\(key)'", key)
            return value != 0
        }
    }

    /// Every value of multi-valued config `key` in file order (`git config --get-all`); empty when unset.
    public func configValues(_ key: String) throws -> [String] {
        try withConfigSnapshot { config in
            var iterator: OpaquePointer?
            let code = git_config_multivar_iterator_new(&iterator, config, key, nil)
            if code == GIT_ENOTFOUND.rawValue { return [] }
            try checkConfig(code, "read config '\(key)'", key)
            defer { git_config_iterator_free(iterator) }
            var values: [String] = []
            while true {
                // The entry is owned by the iterator and valid until the next call.
                var entry: UnsafeMutablePointer<git_config_entry>?
                let next = git_config_next(&entry, iterator)
                if next == GIT_ITEROVER.rawValue { break }
                try checkConfig(next, "read config '\(key)'", key)
                if let value = entry?.pointee.value { values.append(String(cString: value)) }
            }
            return values
        }
    }

    /// Sets `key` to `value` in the repository's own config (`git config key value`), replacing one value.
    public func setConfig(_ key: String, _ value: String) throws {
        try withLocalConfig { config in
            try checkConfig(git_config_set_string(config, key, value), "set config '\(key)'", key)
        }
    }

    /// Adds another value to multi-valued `key` in the repository's config (`git config --add`).
    public func addConfigValue(_ key: String, _ value: String) throws {
        try withLocalConfig { config in
            // libgit2 replaces the values matching the regex and appends when none match, so a
            // regex that can never match (an anchor after a character) always appends.
            try checkConfig(git_config_set_multivar(config, key, "a^", value), "add config '\(key)'", key)
        }
    }

    /// Removes every value of `key` from the repository's config (`git config --unset-all`); no-op when unset.
    public func unsetConfig(_ key: String) throws {
        try withLocalConfig { config in
            let code = git_config_delete_multivar(config, key, ".*")
            if code == GIT_ENOTFOUND.rawValue { return }
            try checkConfig(code, "unset config '\(key)'", key)
        }
    }

    /// Removes every value of multi-valued `key` that is exactly `value` from the repository's
    /// own config (`git config --fixed-value --unset-all`), keeping its other values and their
    /// order; no-op when there is none.
    public func removeConfigValue(_ key: String, _ value: String) throws {
        // libgit2 takes a regex: every character but letters and digits is escaped, which is a
        // literal in both POSIX extended regexes and PCRE, and the whole value is anchored.
        let escaped = value.unicodeScalars.map { scalar -> String in
            scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || !scalar.isASCII
                ? String(scalar) : "\\\(scalar)"
        }
        let pattern = "^" + escaped.joined() + "$"
        try withLocalConfig { config in
            let code = git_config_delete_multivar(config, key, pattern)
            if code == GIT_ENOTFOUND.rawValue { return }
            try checkConfig(code, "remove a value of config '\(key)'", key)
        }
    }

    /// The names of the configured remotes ("origin"…), sorted.
    public func remoteNames() throws -> [String] {
        var names = git_strarray()
        try check(git_remote_list(&names, handle), "list remotes")
        defer { git_strarray_dispose(&names) }
        return (0..<names.count).compactMap { names.strings[$0].map { String(cString: $0) } }.sorted()
    }

    /// Runs `body` with the repository-level (`.git/config`, shared by worktrees) config for writing.
    private func withLocalConfig<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        var all: OpaquePointer?
        try check(git_repository_config(&all, handle), "open the repository's config")
        defer { git_config_free(all) }
        var local: OpaquePointer?
        try check(
            git_config_open_level(&local, all, GIT_CONFIG_LEVEL_LOCAL), "open the repository's config",
            location: commonDirectory.appendingPathComponent("config").path)
        defer { git_config_free(local) }
        return try body(local!)
    }

    /// Like `check`, but a malformed key or value is the user's input (exit 2).
    private func checkConfig(_ code: Int32, _ operation: String, _ key: String) throws {
        let badInput = code == GIT_EINVALIDSPEC.rawValue || code == GIT_EINVALID.rawValue
        try check(
            code, operation, location: key,
            hint: badInput ? "config keys look like 'section.name' or 'section.subsection.name'" : nil,
            exitStatus: badInput ? .badInput : .failure)
    }
}
