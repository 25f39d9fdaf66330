// The review queue pages pending lineage per level, lowest confidence first, then by id
// (keyset paging): this index serves that filter and that order, so a page reads what it
// returns however long the queue is, and the counts read the index alone.
CREATE INDEX lineage_review_queue IF NOT EXISTS
FOR ()-[r:FLOWS_TO]-() ON (r.review_state, r.level, r.confidence, r.id)
