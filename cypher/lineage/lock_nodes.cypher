// Takes the write locks of the given nodes (in the order given: callers sort the ids), so that
// two transactions adding lineage between the same nodes run one after the other instead of
// both seeing no edge and both creating one.
UNWIND $ids AS id
MATCH (n:__NODE__ {id: id})
SET n._lock = true
REMOVE n._lock
RETURN count(n) AS locked
