// Origins, most recently ingested first.
MATCH (o:Origin)
WHERE $kind IS NULL OR o.kind = $kind
RETURN o {.*} AS origin
ORDER BY coalesce(o.last_ingested_at, o.created_at) DESC, o.id
LIMIT $limit
