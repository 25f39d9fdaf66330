// Sources whose scan schedule is due.
MATCH (s:Source)
WHERE s.schedule_enabled AND s.schedule_next_at <= datetime()
RETURN s {.*} AS source
