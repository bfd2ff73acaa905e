import Model
import Testing

@Suite struct LabelNameTests {
    @Test(arguments: ["a", "_", "__name__", "job_2", "A"])
    func acceptsLabelNames(name: String) {
        #expect(LabelName.isValid(name))
        #expect(LabelName.isValidMetricName(name))
    }

    @Test(arguments: ["", "2a", "a-b", "a.b", "é", "a b", "a:b"])
    func rejectsInvalidLabelNames(name: String) {
        #expect(!LabelName.isValid(name))
    }

    @Test func colonsAreForMetricNamesOnly() {
        #expect(LabelName.isValidMetricName("job:requests:rate5m"))
        #expect(LabelName.isValidMetricName(":a"))
        #expect(!LabelName.isValidMetricName("1:a"))
        #expect(!LabelName.isValid("job:requests"))
    }
}
