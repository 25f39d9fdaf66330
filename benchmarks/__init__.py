"""Clew's benchmark harness: `make bench` or `python -m benchmarks [--quick]`.

It generates synthetic catalogs, starts its own Neo4j and its own Clew on their own ports,
times each case interleaved with the raw-Neo4j ceiling for the same answer, and writes a JSON
result and a markdown table. Speed and memory targets live here, never in the test suite.
"""
