// Export filters name sources by name or id.
UNWIND $refs AS ref
MATCH (s:Source)
WHERE s.id = ref OR s.name = ref
RETURN ref, s.id AS id
