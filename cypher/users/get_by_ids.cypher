UNWIND $ids AS id
MATCH (u:User {id: id})
RETURN u {.*, password_hash: null} AS user
