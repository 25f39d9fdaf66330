"""OpenLineage events read into plain objects, datasets named, transformations mapped: a leaf.

Clew validates events with its own rules (the client ships no schemas): the fields Marquez
requires are required, everything else, unknown facets and fields included, is accepted and
kept as it came.
"""
