// The stored events of one run, oldest first.
MATCH (e:OpenLineageEvent {run_id: $run_id})
RETURN e.body AS body
ORDER BY e.event_time, e.received_at
