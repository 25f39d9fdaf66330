"""The interchange format for bulk import and export (docs/interchange-format.md).

- ``format``: the versioned sections and columns, as data, and how a cell becomes a value;
- ``report``: problems (with spreadsheet row, column and a plain sentence) and the bounded report;
- ``readers`` / ``writers``: one codec per encoding (Excel, CSV, CSV in a zip, JSON, YAML),
  streaming both ways;
- ``validate``: the first pass over a file (syntax and schema), spooling clean rows to disk;
- ``plan``: the second pass (references, duplicates, provenance rules) deciding per row
  whether it creates, updates or leaves something unchanged;
- ``template``: the empty workbook people fill in.

These modules are leaves: they know nothing of Neo4j, GraphQL or HTTP. The service
(``graph_api.services.transfer``) runs them against the store.
"""
