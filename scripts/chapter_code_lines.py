"""Non-blank code lines in each chapter's code cells (jupytext percent format), the measure of how
much of a chapter is code rather than prose: ``python scripts/chapter_code_lines.py [REPO]``."""

import json
import sys
from pathlib import Path


def code_lines(path: Path) -> int:
    n, markdown, header = 0, False, True
    for line in path.read_text().splitlines():
        if line.startswith("# %%"):
            markdown, header = "[markdown]" in line or "[md]" in line, False
            continue
        if not (header or markdown or not line.strip()):
            n += 1
    return n


if __name__ == "__main__":
    book = Path(sys.argv[1] if len(sys.argv) > 1 else ".") / "book"
    counts = {p.name: code_lines(p) for p in sorted(book.glob("[0-9][0-9]_*.py"))}
    print(json.dumps(counts | {"total": sum(counts.values())}, indent=1))
