import Testing

@testable import Pipeline

/// Which git command lines amend HEAD, parsed as git parses them.
@Suite struct GitInvocationTests {
    func amends(_ arguments: [String]) -> Bool { GitInvocation(arguments: arguments).isCommitAmend() }

    @Test func recognisesAmendsThroughGitsOwnParsing() {
        #expect(amends(["commit", "--amend"]))
        #expect(amends(["commit", "-a", "--amend", "--no-edit"]))
        #expect(amends(["-c", "user.name=x", "-C", "/tmp", "--no-pager", "commit", "--amend", "-m", "msg"]))
        #expect(amends(["--config-env", "user.name=NAME", "commit", "--amend"]))
        #expect(amends(["commit", "--am"]))  // git takes unique abbreviations
        #expect(amends(["commit", "-mt", "--amend"]))  // the message "t" is attached to -m
        #expect(amends(["commit", "--message=--no-amend", "--amend"]))
    }

    @Test func plainCommitsAndLookalikesAreNotAmends() {
        #expect(!amends(["commit", "-m", "fix"]))
        #expect(!amends(["commit", "-m", "--amend"]))  // a message that reads like the option
        #expect(!amends(["commit", "-am", "--amend"]))
        #expect(!amends(["commit", "--mess", "--amend"]))  // "--mess" is --message: its value follows
        #expect(!amends(["commit", "--amend", "--no-amend"]))
        #expect(!amends(["commit", "--", "--amend"]))  // a path
        #expect(!amends(["commit", "--a"]))  // ambiguous: git refuses it
        #expect(!amends(["merge", "--amend"]))
        #expect(!amends(["ca"]))  // an alias: git runs it as a child `git commit …`, checked there
        #expect(!amends(["-c", "commit", "status"]))
        #expect(!amends([]))
    }
}
