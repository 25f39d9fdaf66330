// Source names, for "Did you mean ...?" suggestions.
MATCH (s:Source)
RETURN s.name AS name
ORDER BY name
LIMIT $limit
