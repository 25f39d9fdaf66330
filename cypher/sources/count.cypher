MATCH (s:Source)
WHERE ($type IS NULL OR s.type = $type)
  AND ($active IS NULL OR s.active = $active)
RETURN count(s) AS total
