/// Accuracy and ROC AUC for binary classifiers.
public enum ClassificationMetrics {
    /// Share of predictions that match the outcomes.
    public static func accuracy(predicted: [Int], actual: [Int]) -> Double {
        precondition(predicted.count == actual.count && !actual.isEmpty)
        let correct = zip(predicted, actual).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
        return Double(correct) / Double(actual.count)
    }

    /// Area under the ROC curve, computed as the Mann–Whitney statistic with tied scores sharing ranks.
    public static func rocAUC(scores: [Double], actual: [Int]) -> Double {
        precondition(scores.count == actual.count)
        let positives = actual.reduce(0, +)
        let negatives = actual.count - positives
        guard positives > 0, negatives > 0 else { return .nan }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var positiveRankSum = 0.0
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count, scores[order[end + 1]] == scores[order[start]] { end += 1 }
            // Ranks are 1-based; a run of ties shares the mean of its ranks.
            let sharedRank = Double(start + end + 2) / 2
            for position in start...end where actual[order[position]] == 1 { positiveRankSum += sharedRank }
            start = end + 1
        }
        let p = Double(positives), n = Double(negatives)
        return (positiveRankSum - p * (p + 1) / 2) / (p * n)
    }
}
