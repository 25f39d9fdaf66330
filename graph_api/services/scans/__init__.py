"""Source scans: discover what a source holds, read whole namespaces into the catalog by the
scan rules (graph_api/scan_rules.py), as jobs with live progress, on demand or on a schedule."""
