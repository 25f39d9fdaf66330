// A steward trusts an origin (its future edges arrive APPROVED under that steward's decision),
// or stops trusting it ($actor null).
MATCH (o:Origin {id: $id})
WITH o, o {.*} AS before
SET o.trusted_by = $actor,
    o.trusted_at = CASE WHEN $actor IS NULL THEN null ELSE datetime() END,
    o.trust_comment = $comment
RETURN before, o {.*} AS origin
