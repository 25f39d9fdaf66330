"""The interchange format for bulk import and export (docs/interchange-format.md).

- ``format``: the versioned sections and columns, as data;
- ``cells``: how a cell becomes a value and a value a cell (types, formula neutralisation);
- ``report``: problems (with spreadsheet row, column and a plain sentence) and the bounded report;
- ``codecs``: one codec per encoding (``xlsx``, ``csv`` for a CSV file or a zip of them,
  ``json``, ``yaml``), each reader next to its writer, streaming both ways; ``zips`` and
  ``common`` hold what they share;
- ``validate``: the first pass over a file (syntax and schema), spooling clean rows to disk;
- ``plan``: the second pass, a batch at a time: ``lookups`` (batched catalog reads),
  ``file_index`` (the file's own rows), ``references`` (one resolver for what a row names),
  ``entities`` (sources, tables, fields) and ``lineage`` (edges, through
  graph_api/lineage_rules.py), deciding per row whether it creates, updates or leaves
  something unchanged;
- ``template``: the empty workbook people fill in.

These modules are leaves: they know nothing of Neo4j, GraphQL or HTTP. The services
(``graph_api.services.imports`` and ``graph_api.services.exports``) run them against the
store; the entry points are ``graph_api.interchange_http`` and ``graph_api.interchange_cli``.
"""
