import Testing

@testable import Pipeline

/// Which git command lines amend HEAD.
@Suite struct GitInvocationTests {
    func amends(_ arguments: [String], aliases: [String: String] = [:]) -> Bool {
        GitInvocation(arguments: arguments).isCommitAmend { aliases[$0] }
    }

    @Test func recognisesAmendsThroughOptionsAndAliases() {
        #expect(amends(["commit", "--amend"]))
        #expect(amends(["commit", "-a", "--amend", "--no-edit"]))
        #expect(amends(["-c", "user.name=x", "-C", "/tmp", "--no-pager", "commit", "--amend", "-m", "msg"]))
        #expect(amends(["ca"], aliases: ["ca": "commit --amend"]))
        #expect(amends(["ci", "--amend"], aliases: ["ci": "commit -v"]))
    }

    @Test func plainCommitsAndLookalikesAreNotAmends() {
        #expect(!amends(["commit", "-m", "fix"]))
        #expect(!amends(["commit", "-m", "--amend"]))  // a message that reads like the option
        #expect(!amends(["commit", "-am", "--amend"]))
        #expect(!amends(["commit", "--amend", "--no-amend"]))
        #expect(!amends(["commit", "--", "--amend"]))  // a path
        #expect(!amends(["merge", "--amend"]))
        #expect(!amends(["ca"], aliases: ["ca": "!git commit --amend"]))  // a shell alias runs another git
        #expect(!amends(["-c", "commit", "status"]))
        #expect(!amends([]))
    }
}
