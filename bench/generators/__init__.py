"""Bulk data generators, one module per area; every module here is imported by
bench.generate.load() and registers its generators with @bench.generate.generator."""
