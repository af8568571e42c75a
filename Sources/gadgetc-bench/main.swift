// Placeholder until the benchmark lands.
print("gadgetc-bench: not written yet")
