"""Speed and memory benchmarks (not tests): see benchmarks/README.md."""
