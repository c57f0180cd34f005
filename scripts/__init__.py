"""Developer tools: validation, annotation, servers for tests, evaluation and benchmarks."""
