"""Benchmarks: each prints its numbers and ratios; run them with ``make bench``."""
