"""dbt artifacts (manifest.json, catalog.json) read tolerantly into plain objects: a leaf.

Only the keys Clew needs are read, and each of them may be missing or of an unexpected shape:
dbt adds fields to its artifacts without changing their schema version, so a strict parser
breaks on every release. What cannot be read is reported, never raised, unless nothing usable
is left.
"""
