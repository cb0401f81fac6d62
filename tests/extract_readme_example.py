#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes a README example to a file: the ```cpp block that follows '<!-- example -->', or with
`MARKER LANG` given, the ```LANG block that follows '<!-- MARKER -->'."""
import sys

def main() -> int:
    readme, out = sys.argv[1], sys.argv[2]
    marker = f"<!-- {sys.argv[3]} -->" if len(sys.argv) > 3 else "<!-- example -->"
    lang = sys.argv[4] if len(sys.argv) > 4 else "cpp"
    lines = open(readme, encoding="utf-8").read().splitlines()
    try:
        start = lines.index(marker)
    except ValueError:
        print(f"{readme}: no '{marker}' marker", file=sys.stderr)
        return 1
    if start + 1 >= len(lines) or lines[start + 1].strip() != "```" + lang:
        print(f"{readme}: the marker must be followed by a ```{lang} block", file=sys.stderr)
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
        f.write("/* Generated from README.md by tests/extract_readme_example.py: edit the README. */\n")
        f.write("\n".join(body) + "\n")
    return 0

if __name__ == "__main__":
    sys.exit(main())
