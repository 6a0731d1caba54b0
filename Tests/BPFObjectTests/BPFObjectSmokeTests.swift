import Testing
@testable import BPFObject
import TestSupport

@Test func BPFObjectModuleLinks() {
    #expect(TestSupport.fixturesDirectory.path.hasSuffix("Tests/Fixtures"))
}
