"""`make run` entry point."""

import sys

print("The local runtime is not built yet.", file=sys.stderr)
sys.exit(1)
