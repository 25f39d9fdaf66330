// Users sign in by username (compared case-insensitively through username_key); API tokens
// are looked up by the SHA-256 of the token a client presents.
CREATE CONSTRAINT user_id IF NOT EXISTS FOR (n:User) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT user_username_key IF NOT EXISTS FOR (n:User) REQUIRE n.username_key IS UNIQUE;
CREATE CONSTRAINT api_token_id IF NOT EXISTS FOR (n:ApiToken) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT api_token_digest IF NOT EXISTS FOR (n:ApiToken) REQUIRE n.digest IS UNIQUE
