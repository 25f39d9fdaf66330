// An origin's assertions of edges: created, or seen again (its evidence and substance as the
// origin now states them).
WITH datetime() AS now
UNWIND $rows AS row
MERGE (s:Assertion {origin_id: $origin_id, edge_id: row.edge_id})
  ON CREATE SET s.first_seen = now
SET s.level = row.level,
    s.transformation_type = row.transformation_type,
    s.confidence = row.confidence,
    s.logic = row.logic,
    s.evidence = row.evidence,
    s.last_seen = now
RETURN count(s) AS written
