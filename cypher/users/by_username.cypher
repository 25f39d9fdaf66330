// The one statement that returns a password hash: sign-in needs it.
MATCH (u:User {username_key: $username_key})
RETURN u {.*} AS user
