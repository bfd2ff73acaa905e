import TSDB

/// NodeMemo keeps what one node derived from its inputs' labels at the previous evaluation.
///
/// In a range query the same series usually reach a node in the same order at every step,
/// so label work (dropping names, match signatures, group keys, duplicate checks, parsing
/// `le`) can be reused after comparing labels position by position. That comparison is
/// cheap because equal labels mostly share storage and `Array ==` checks identity first.
/// Reused outputs share storage too, so the nodes above hit their memos as well. A memo is
/// only a cache: it is used only when the inputs are equal, so results never depend on it.
final class NodeMemo {
    var renamed = LabelsMapMemo()
    /// distinct is the last label list that passed the duplicate check.
    var distinct: [Labels] = []
    /// origins maps each output label set this node has produced during the query to the
    /// input series it came from, for checks that span all steps.
    var origins: [Labels: Labels] = [:]
    /// checkedInputs is the last input list whose outputs were recorded in `origins`.
    var checkedInputs: [Labels] = []
    var binop: BinopPlan?
    var grouping: GroupingPlan?
    var buckets: BucketPlan?
}

/// LabelsMapMemo maps labels position by position, remembering the previous step's results.
struct LabelsMapMemo {
    private var inputs: [Labels] = []
    private var outputs: [Labels] = []
    private var nextInputs: [Labels] = []
    private var nextOutputs: [Labels] = []

    /// map replaces each element's labels by `transform(labels)`, reusing the previous result
    /// when the element at the same position had equal labels.
    mutating func map(_ vector: inout [VectorSample], _ transform: (Labels) -> Labels) {
        nextInputs.removeAll(keepingCapacity: true)
        nextOutputs.removeAll(keepingCapacity: true)
        for index in vector.indices {
            let input = vector[index].labels
            let output = index < inputs.count && inputs[index] == input ? outputs[index] : transform(input)
            nextInputs.append(input)
            nextOutputs.append(output)
            vector[index].labels = output
        }
        swap(&inputs, &nextInputs)
        swap(&outputs, &nextOutputs)
    }
}

/// BinopPlan is how the elements of two vectors matched at the previous step.
struct BinopPlan {
    var lhs: [Labels]
    var rhs: [Labels]
    /// pairs are matched elements: indices into lhs and rhs and the output labels.
    var pairs: [(lhs: Int, rhs: Int, labels: Labels)]
    /// replayable is false when a "multiple matches" error could depend on which
    /// comparisons hold; such plans are recomputed at every step.
    var replayable: Bool

    func matches(_ lhs: [VectorSample], _ rhs: [VectorSample]) -> Bool {
        replayable && sameLabels(lhs, self.lhs) && sameLabels(rhs, self.rhs)
    }
}

/// GroupingPlan is the group of each input element of an aggregation at the previous step.
struct GroupingPlan {
    var inputs: [Labels]
    var groupOf: [Int]
    var groupLabels: [Labels]
}

/// BucketPlan is how histogram_quantile grouped its input at the previous step.
struct BucketPlan {
    var inputs: [Labels]
    /// groupOf is the histogram of each input element, or -1 for elements without a valid `le`.
    var groupOf: [Int]
    var bounds: [Double]
    var groupLabels: [Labels]
}

/// sameLabels compares a vector's labels with a remembered list, position by position.
@inline(__always)
func sameLabels(_ vector: [VectorSample], _ labels: [Labels]) -> Bool {
    guard vector.count == labels.count else { return false }
    for index in vector.indices where vector[index].labels != labels[index] { return false }
    return true
}
