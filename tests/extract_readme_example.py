#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the README's example (the ```cpp block that follows '<!-- example -->') to a file."""
import sys

def main() -> int:
    readme, out = sys.argv[1], sys.argv[2]
    lines = open(readme, encoding="utf-8").read().splitlines()
    try:
        start = lines.index("<!-- example -->")
    except ValueError:
        print(f"{readme}: no '<!-- example -->' marker", file=sys.stderr)
        return 1
    if start + 1 >= len(lines) or lines[start + 1].strip() != "```cpp":
        print(f"{readme}: the marker must be followed by a ```cpp block", file=sys.stderr)
        return 1
    body = []
    for line in lines[start + 2:]:
        if line.strip() == "```":
            break
        body.append(line)
    else:
        print(f"{readme}: the example block is not closed", file=sys.stderr)
        return 1
    with open(out, "w", encoding="utf-8") as f:
        f.write("// Generated from README.md by tests/extract_readme_example.py: edit the README.\n")
        f.write("\n".join(body) + "\n")
    return 0

if __name__ == "__main__":
    sys.exit(main())
