"""Guanxi benchmark harness: `python -m bench.run` (or `make bench`).

Starts its own PostgreSQL, migrates, loads the demo company, fills the database to a scale
with bulk generators (PostgreSQL COPY), times the scenarios and writes docs/PERFORMANCE.md.
"""
