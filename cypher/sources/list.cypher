MATCH (s:Source)
WHERE ($type IS NULL OR s.type = $type)
  AND ($active IS NULL OR s.active = $active)
  AND ($after_name IS NULL
       OR s.name > $after_name
       OR (s.name = $after_name AND s.id > $after_id))
RETURN s {.*} AS source
ORDER BY s.name, s.id
LIMIT $limit
