"""Who is acting and what they may do: roles, password hashing, bearer tokens, sign-in throttling.

Leaves of the architecture: nothing here talks to Neo4j or GraphQL (see store/users.py,
services/identity.py and schema/permissions.py for those).
"""
