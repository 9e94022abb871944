"""`make bench`: run every benchmark and print its figures."""

print("No benchmarks yet.")
