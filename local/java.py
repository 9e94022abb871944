"""Find a Java 17+ runtime for DynamoDB Local; `python -m local.java --check` explains what is missing."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

MIN_JAVA = 17


def java_version(java: str) -> int | None:
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def find_java() -> str | None:
    """The `java` on PATH when it is version 17 or newer."""
    java = shutil.which("java")
    if java and (java_version(java) or 0) >= MIN_JAVA:
        return java
    return None


def main() -> int:
    if find_java():
        return 0
    print(
        f"Java {MIN_JAVA}+ is required to run DynamoDB Local, which the concurrency, stream and "
        f"end-to-end tests use. Install it (Debian: apt-get install openjdk-17-jre-headless) and "
        f"make sure `java -version` reports {MIN_JAVA} or newer.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(main())
    print(find_java() or "no Java 17+ found")
