// Applies one transaction's changes to the review queue's counters (graph_api/store/review_counts.py),
// its last statement before the commit. $deltas come sorted by level, then confidence, so
// two transactions take the counters' locks in the same order; the SET reads the count it
// adds to only once it holds the counter's lock, so no update is lost.
UNWIND $deltas AS d
MERGE (c:ReviewCount {level: d.level, confidence: d.confidence})
  ON CREATE SET c.pending = 0
SET c.pending = c.pending + d.delta
RETURN count(c) AS counters
