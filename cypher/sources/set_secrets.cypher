UNWIND $sources AS row
MATCH (s:Source {id: row.id})
SET s.secret_password = row.password, s.secret_api_key = row.api_key, s.secret_uri = row.uri
RETURN count(s) AS updated
