import Foundation
import GitKit
import TestSupport
import Testing

/// References: reads against `git rev-parse`/`git for-each-ref`, compare-and-swap updates.
@Suite struct ReferenceTests {
    @Test func compareAndSwapCreateAndUpdate() throws {
        let repo = try TemporaryRepository.withHistory()
        let repository = try repo.open()
        let head = try repository.resolveCommit("HEAD")
        let parent = try repository.resolveCommit("HEAD~1")
        let name = "refs/modelgate/test"
        #expect(try repository.reference(name) == nil)
        try repository.updateReference(name, to: parent, expecting: nil)
        #expect(try repo.git(["rev-parse", name]) == parent.hex)

        // Creating again must fail: it exists now.
        let exists = gitError { try repository.updateReference(name, to: head, expecting: nil) }
        #expect(exists?.isConcurrentModification == true)
        #expect(try repo.git(["rev-parse", name]) == parent.hex)

        // Moving with the wrong expectation fails and changes nothing; the right one moves it.
        let wrong = gitError { try repository.updateReference(name, to: head, expecting: head) }
        #expect(wrong?.isConcurrentModification == true)
        #expect(wrong?.hint != nil)
        #expect(try repo.git(["rev-parse", name]) == parent.hex)
        try repository.updateReference(name, to: head, expecting: parent)
        #expect(try repo.git(["rev-parse", name]) == head.hex)
        #expect(try repository.reference(name) == head)

        #expect(
            gitError { try repository.deleteReference(name, expecting: parent) }?.isConcurrentModification
                == true)
        #expect(try repository.deleteReference(name, expecting: head))
        #expect(try repo.gitResult(["rev-parse", "--verify", "--quiet", name]).status != 0)
        #expect(try repository.deleteReference(name, expecting: head) == false)
    }

    @Test func expectingAReferenceThatWasDeletedIsARace() throws {
        let repo = try TemporaryRepository.withHistory()
        let repository = try repo.open()
        let head = try repository.resolveCommit("HEAD")
        try repo.git(["update-ref", "refs/modelgate/gone", head.hex])
        try repo.git(["update-ref", "-d", "refs/modelgate/gone"])
        let error = gitError {
            try repository.updateReference("refs/modelgate/gone", to: head, expecting: head)
        }
        #expect(error?.isConcurrentModification == true)
        #expect(try repository.reference("refs/modelgate/gone") == nil)
        #expect(
            gitError { try repository.updateReference("refs/bad name", to: head, expecting: nil) }?.exitStatus
                == .badInput)
    }
}
