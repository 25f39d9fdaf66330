// Every source holding a secret, for key rotation.
MATCH (s:Source)
WHERE s.secret_password IS NOT NULL OR s.secret_api_key IS NOT NULL OR s.secret_uri IS NOT NULL
RETURN s.id AS id, s.name AS name, s.secret_password AS password, s.secret_api_key AS api_key,
       s.secret_uri AS uri
ORDER BY s.name
