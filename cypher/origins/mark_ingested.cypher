MATCH (o:Origin {id: $id})
SET o.last_ingested_at = datetime(), o.last_ingested_by = $actor
RETURN o {.*} AS origin
