"""Benchmarks of Suivi STS (`python -m bench`, `make bench`): each `*_bench.py` module has `main(argv)`."""
