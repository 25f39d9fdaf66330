// Records a connection test or introspection and, for a saved source's connection test,
// its last test status.
WITH datetime() AS now
CREATE (c:ConnectionTest)
SET c = $record, c.id = randomUUID(), c.at = now
WITH c, now
OPTIONAL MATCH (s:Source {id: $record.source_id})
FOREACH (_ IN CASE WHEN s IS NOT NULL AND $record.operation = 'CONNECTION_TEST' THEN [1] ELSE [] END |
  SET s.last_test_at = now, s.last_test_ok = $record.ok, s.last_test_reason = $record.reason,
      s.last_test_message = $record.message, s.last_test_latency_ms = $record.latency_ms,
      s.last_test_product = $record.product, s.last_test_version = $record.version)
RETURN c {.*} AS record
