import Foundation
import Model
import TSDB

/// Aggregation operators: sum, avg, count, min, max, group, stddev, stdvar, topk, bottomk,
/// count_values and quantile, grouped `by` or `without` labels.
extension Evaluator {
    func evalAggregation(_ node: AggregationNode, at t: Timestamp) throws(QueryError) -> [VectorSample] {
        var parameter = 0.0
        var valueLabel = ""
        if let param = node.param {
            switch try eval(param, at: t) {
            case .scalar(let value): parameter = value
            case .string(let value): valueLabel = value
            case let other: throw QueryError.execution("unexpected \(other.typeName) aggregation parameter")
            }
        }
        let vector = try evalVector(node.expr, at: t)
        return try aggregate(node, vector, parameter: parameter, valueLabel: valueLabel, memo: memo(node.memo))
    }

    /// Group is the running state of one output element.
    private struct Group {
        var labels: Labels
        var value: Double
        var mean: Double
        var count: Int
        /// heap holds the candidates of topk/bottomk and all values of quantile.
        var heap: [VectorSample]
    }

    private func aggregate(
        _ node: AggregationNode, _ vector: [VectorSample], parameter: Double, valueLabel: String, memo: NodeMemo
    ) throws(QueryError) -> [VectorSample] {
        let op = node.op
        var k = 0
        if op == .topk || op == .bottomk {
            guard parameter <= 9_223_372_036_854_774_784, parameter >= -9_223_372_036_854_775_808 else {
                throw QueryError.execution("Scalar value \(GoSyntax.formatFloat(parameter)) overflows int64")
            }
            let wide = Int64(parameter)
            if wide < 1 { return [] }
            k = Int(min(wide, Int64(vector.count)))
        }
        var input = vector
        let plan: GroupingPlan
        if op == .countValues {
            guard LabelName.isValid(valueLabel) else {
                throw QueryError.execution("invalid label name \(GoSyntax.quote(valueLabel))")
            }
            // The value becomes a label, so the groups depend on values and are not remembered.
            for index in input.indices {
                input[index].labels = input[index].labels.setting(valueLabel, to: formatPrometheusValue(input[index].v))
            }
            let grouping = node.without ? node.grouping : node.grouping + [valueLabel]
            plan = groupingPlan(input, grouping: grouping, without: node.without)
        } else if let remembered = memo.grouping, sameLabels(input, remembered.inputs) {
            plan = remembered
        } else {
            plan = groupingPlan(input, grouping: node.grouping, without: node.without)
            memo.grouping = plan
        }

        var groups: [Group] = []
        groups.reserveCapacity(plan.groupLabels.count)
        // Only the heap operators keep whole samples; the others read each value in place, without copying
        // (and reference-counting) every sample's labels at every step.
        let keepsSamples = op == .topk || op == .bottomk || op == .quantile
        for index in input.indices {
            let group = plan.groupOf[index]
            if group < groups.count, !keepsSamples {
                update(&groups[group], value: input[index].v, op: op)
                continue
            }
            let sample = input[index]
            guard group < groups.count else {
                // Groups are numbered in order of first appearance, so this is the group's first element.
                var new = Group(labels: plan.groupLabels[group], value: sample.v, mean: sample.v, count: 1, heap: [])
                switch op {
                case .stddev, .stdvar: new.value = 0
                case .topk, .bottomk, .quantile: new.heap = [sample]
                case .group: new.value = 1
                default: break
                }
                groups.append(new)
                continue
            }
            update(&groups[group], with: sample, op: op, k: k)
        }
        try limits.tick(vector.count)

        var out: [VectorSample] = []
        out.reserveCapacity(groups.count)
        for group in groups {
            var value = group.value
            switch op {
            case .avg:
                value = group.mean
            case .count, .countValues:
                value = Double(group.count)
            case .stdvar:
                value = group.value / Double(group.count)
            case .stddev:
                value = (group.value / Double(group.count)).squareRoot()
            case .topk:
                var heap = group.heap
                goSortReversed(&heap, valueHeapLess)
                out.append(contentsOf: heap)
                continue
            case .bottomk:
                var heap = group.heap
                goSortReversed(&heap, reverseValueHeapLess)
                out.append(contentsOf: heap)
                continue
            case .quantile:
                value = quantile(parameter, group.heap.map(\.v))
            default:
                break
            }
            out.append(VectorSample(labels: group.labels, t: vector.first?.t ?? 0, v: value))
        }
        return out
    }

    /// groupingPlan assigns each element to a group: by the listed labels, or by all labels but
    /// the listed ones and the metric name (`without`). Groups are numbered in order of first appearance.
    private func groupingPlan(_ vector: [VectorSample], grouping: [String], without: Bool) -> GroupingPlan {
        let names = sortedUnique(without ? grouping + [Labels.metricName] : grouping)
        var groupOf: [Int] = []
        groupOf.reserveCapacity(vector.count)
        var groupLabels: [Labels] = []
        var index: [Labels: Int] = [:]
        for sample in vector {
            let key = without ? sample.labels.removingAll(names) : sample.labels.keepingOnly(names)
            if let group = index[key] {
                groupOf.append(group)
            } else {
                index[key] = groupLabels.count
                groupOf.append(groupLabels.count)
                groupLabels.append(key)
            }
        }
        return GroupingPlan(inputs: vector.map(\.labels), groupOf: groupOf, groupLabels: groupLabels)
    }

    private func update(_ group: inout Group, with sample: VectorSample, op: AggregateOp, k: Int) {
        let v = sample.v
        switch op {
        case .topk:
            if group.heap.count < k || group.heap[0].v < v || group.heap[0].v.isNaN { offer(sample, to: &group.heap, k: k, by: valueHeapLess) }
        case .bottomk:
            if group.heap.count < k || group.heap[0].v > v || group.heap[0].v.isNaN { offer(sample, to: &group.heap, k: k, by: reverseValueHeapLess) }
        case .quantile:
            group.heap.append(sample)
        default:
            update(&group, value: v, op: op)
        }
    }

    /// Adds a sample that beats the heap's root, dropping the root when the heap already holds `k`.
    private func offer(_ sample: VectorSample, to heap: inout [VectorSample], k: Int, by less: (VectorSample, VectorSample) -> Bool) {
        if heap.count == k {
            if k == 1 {
                heap[0] = sample
                return
            }
            goHeapPop(&heap, less)
        }
        goHeapPush(&heap, sample, less)
    }

    /// The operators that need only the value.
    @inline(__always)
    private func update(_ group: inout Group, value v: Double, op: AggregateOp) {
        switch op {
        case .sum:
            group.value += v
        case .avg:
            group.count += 1
            let count = Double(group.count)
            if group.mean.isInfinite {
                // Inf - Inf would turn a correct infinite mean into NaN.
                if v.isInfinite && (group.mean > 0) == (v > 0) { return }
                if !v.isInfinite && !v.isNaN { return }
            }
            // Dividing before subtracting keeps large values from overflowing.
            group.mean += v / count - group.mean / count
        case .group:
            break
        case .max:
            if group.value < v || group.value.isNaN { group.value = v }
        case .min:
            if group.value > v || group.value.isNaN { group.value = v }
        case .count, .countValues:
            group.count += 1
        case .stddev, .stdvar:
            group.count += 1
            let delta = v - group.mean
            group.mean += delta / Double(group.count)
            group.value += delta * (v - group.mean)
        case .topk, .bottomk, .quantile:
            break  // kept by `update(_:with:op:k:)`
        }
    }
}

// MARK: - Ordering helpers shared with sort() and sort_desc()

/// valueHeapLess orders by value with NaN first, as Prometheus's `vectorByValueHeap`.
@inline(__always)
func valueHeapLess(_ a: VectorSample, _ b: VectorSample) -> Bool { a.v.isNaN || a.v < b.v }

/// reverseValueHeapLess orders by descending value with NaN first, as `vectorByReverseValueHeap`.
@inline(__always)
func reverseValueHeapLess(_ a: VectorSample, _ b: VectorSample) -> Bool { a.v.isNaN || a.v > b.v }

/// goHeapPush is Go's `container/heap.Push`, so that ties end up where Prometheus puts them.
func goHeapPush(_ heap: inout [VectorSample], _ element: VectorSample, _ less: (VectorSample, VectorSample) -> Bool) {
    heap.append(element)
    var j = heap.count - 1
    while true {
        let i = (j - 1) / 2
        if i == j || !less(heap[j], heap[i]) { break }
        heap.swapAt(i, j)
        j = i
    }
}

/// goHeapPop is Go's `container/heap.Pop`: removes the top element.
func goHeapPop(_ heap: inout [VectorSample], _ less: (VectorSample, VectorSample) -> Bool) {
    let n = heap.count - 1
    heap.swapAt(0, n)
    var i = 0
    while true {
        let j1 = 2 * i + 1
        if j1 >= n { break }
        var j = j1
        if j1 + 1 < n && less(heap[j1 + 1], heap[j1]) { j = j1 + 1 }
        if !less(heap[j], heap[i]) { break }
        heap.swapAt(i, j)
        i = j
    }
    heap.removeLast()
}

/// goSortReversed sorts like Go's `sort.Sort(sort.Reverse(h))` for a heap ordering `less`.
///
/// Go sorts up to 12 elements by insertion sort, whose handling of ties and NaNs is
/// reproduced exactly; longer inputs use a stable sort with NaNs last, which differs from
/// Go only in the order of equal values.
func goSortReversed(_ items: inout [VectorSample], _ less: (VectorSample, VectorSample) -> Bool) {
    if items.count <= 12 {
        for i in items.indices.dropFirst() {
            var j = i
            while j > 0 && less(items[j - 1], items[j]) {
                items.swapAt(j, j - 1)
                j -= 1
            }
        }
        return
    }
    let numbers = items.filter { !$0.v.isNaN }
    let nans = items.filter { $0.v.isNaN }
    items = numbers.sorted { less($1, $0) } + nans
}

/// quantile is the φ-quantile of `values` by linear interpolation between closest ranks.
///
/// φ < 0 gives -Inf and φ > 1 gives +Inf, as in Prometheus; a NaN φ gives NaN.
func quantile(_ q: Double, _ values: [Double]) -> Double {
    if values.isEmpty || q.isNaN { return .nan }
    if q < 0 { return -.infinity }
    if q > 1 { return .infinity }
    // NaN sorts first, as Prometheus's heap ordering puts it.
    let sorted = values.filter(\.isNaN) + values.filter { !$0.isNaN }.sorted()
    let n = Double(sorted.count)
    let rank = q * (n - 1)
    let lowerIndex = Swift.max(0, rank.rounded(.down))
    let upperIndex = Swift.min(n - 1, lowerIndex + 1)
    let weight = rank - rank.rounded(.down)
    return sorted[Int(lowerIndex)] * (1 - weight) + sorted[Int(upperIndex)] * weight
}

