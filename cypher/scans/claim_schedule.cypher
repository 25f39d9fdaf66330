// Claim one due run of a source's schedule by moving its next run on: only the process that
// still sees the run it read wins (the others find it moved), so a run starts exactly once.
MATCH (s:Source {id: $id})
SET s.schedule_next_at = s.schedule_next_at
WITH s
WHERE s.schedule_enabled AND s.schedule_next_at.epochMillis = $expected_ms
SET s.schedule_next_at = $next
RETURN s.id AS id
