"""mailbot's benchmarks: `bench/run` (or `python -m bench`) builds its data and servers and prints a table."""
