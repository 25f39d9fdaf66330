// Replaces secrets only where they are still the tokens that were read, so a credential
// changed meanwhile (e.g. during key rotation) is never overwritten with its old value.
UNWIND $sources AS row
MATCH (s:Source {id: row.id})
WHERE coalesce(s.secret_password, '') = coalesce(row.old_password, '')
  AND coalesce(s.secret_api_key, '') = coalesce(row.old_api_key, '')
  AND coalesce(s.secret_uri, '') = coalesce(row.old_uri, '')
SET s.secret_password = row.password, s.secret_api_key = row.api_key, s.secret_uri = row.uri
RETURN s.id AS id
