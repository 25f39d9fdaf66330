// The encrypted secrets of one source, for the service to decrypt when it connects.
MATCH (s:Source {id: $id})
RETURN s.name AS name, s.secret_password AS password, s.secret_api_key AS api_key,
       s.secret_uri AS uri
