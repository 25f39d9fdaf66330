// The audit records of one batch of an import in one node: the entities it changed, and per
// entity (in the same order) its type, action, before, after and comment as compressed JSON.
CREATE (s:ChangeSet)
SET s.id = randomUUID(),
    s.job_id = $job_id,
    s.actor = $actor,
    s.at = datetime(),
    s.comment = $comment,
    s.entity_ids = $entity_ids,
    s.entries = $entries
