// Tables with their fields, for a request that asks for both: one statement instead of two.
// Without $timestamps (an operation that asks for no createdAt or updatedAt anywhere), the
// timestamps come back null: decoding them was a third of the driver's work for a small query.
UNWIND $ids AS id
MATCH (t:Table {id: id})
RETURN t {.*, created_at: CASE WHEN $timestamps THEN t.created_at END,
              updated_at: CASE WHEN $timestamps THEN t.updated_at END} AS table,
       COLLECT { MATCH (t)-[:HAS_FIELD]->(f:Field)
                 RETURN f {.*, created_at: CASE WHEN $timestamps THEN f.created_at END,
                               updated_at: CASE WHEN $timestamps THEN f.updated_at END}
                 ORDER BY f.ordinal_position, f.name } AS fields
