// Write-locks every enabled administrator before a user change counts them, so two changes
// at once cannot each see "one admin left" and together leave none.
MATCH (u:User {role: 'ADMIN'})
WHERE NOT u.disabled
SET u.guarded_at = datetime()
RETURN count(u) AS admins
