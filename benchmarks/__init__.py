"""Benchmarks of OpenConflict at ACLED scale (synthetic data only); run them with benchmarks/run.py."""
