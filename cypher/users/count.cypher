MATCH (u:User)
RETURN count(u) AS total, count(CASE WHEN u.role = 'ADMIN' AND NOT u.disabled THEN 1 END) AS admins
