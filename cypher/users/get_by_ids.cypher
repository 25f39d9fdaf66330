// Without $timestamps (the sign-in check on every request, which reads none of them),
// created_at and updated_at come back null and are not decoded; signed_out_at always comes.
UNWIND $ids AS id
MATCH (u:User {id: id})
RETURN u {.*, password_hash: null,
          created_at: CASE WHEN $timestamps THEN u.created_at END,
          updated_at: CASE WHEN $timestamps THEN u.updated_at END} AS user
