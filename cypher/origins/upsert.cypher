// The origin a writer names, created the first time; takes its write lock, so that two
// ingestions of one origin run one after the other.
MERGE (o:Origin {kind: $kind, key: $key})
  ON CREATE SET o.id = $id, o.created_at = datetime()
SET o.label = $label, o._lock = true
REMOVE o._lock
RETURN o {.*} AS origin
