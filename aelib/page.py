"""How an executed chapter reads on its page: which cells show their code, and what a reader must
never meet there.

The build tags every executed notebook before it is published (:func:`for_reading`): the
parameters cell and papermill's injected copy of it are removed, and every other code cell is
folded (``hide-input``: its output shows, its code is one click away) unless its source chose
otherwise with a cell tag (``show-input`` keeps the code open; ``remove-input``, ``remove-cell``
and the other myst-nb tags are kept as written). :func:`problems` lists what the book's tests
refuse on a page: printed text, a bare value echoed by a cell's last line, a figure shown without
a numbered caption, a figure saved but never placed, and bookkeeping calls in code left open.
"""

from __future__ import annotations

import re

# tags myst-nb understands for a cell's visibility; a cell carrying one keeps it as written
VISIBILITY_TAGS = frozenset({"show-input", "hide-input", "remove-input", "hide-cell", "remove-cell",
                             "hide-output", "remove-output"})
PARAMETER_TAGS = frozenset({"parameters", "injected-parameters"})
# library calls that only file results away (glue for the prose, the ledger): never open on a page
BOOKKEEPING = re.compile(r"\bch\.(glue|glue_median|record|figure|player|claim|conclude)\(")
GLUE_FIGURE = re.compile(r"```\{glue:figure\}\s+(\S+)")
GLUE_PREFIX = "application/papermill.record/"  # what myst-nb's glue(..., display=False) puts before a mime type
IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml")


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def for_reading(nb):
    """Tag the cells of an executed notebook for its page (in place); returns it."""
    for cell in nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        tags = _tags(cell)
        if PARAMETER_TAGS & set(tags):
            new = tags + [t for t in ("remove-cell",) if t not in tags]
        elif VISIBILITY_TAGS & set(tags):
            new = tags
        else:
            new = tags + ["hide-input"]
        cell.setdefault("metadata", {})["tags"] = new
    return nb


def _shown_code(cell) -> bool:
    tags = set(_tags(cell))
    return not (tags & {"hide-input", "remove-input", "hide-cell", "remove-cell"}
                or (tags & PARAMETER_TAGS))


def _glued(output) -> str | None:
    return (output.get("metadata") or {}).get("scrapbook", {}).get("name")


def problems(nb) -> list[str]:
    """What a reader must not meet on the page of the executed (and :func:`for_reading`-tagged)
    notebook ``nb``, one line each; empty when the page is clean."""
    out: list[str] = []
    markdown = "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                         for c in nb["cells"] if c.get("cell_type") == "markdown")
    placed = set(GLUE_FIGURE.findall(markdown))
    for i, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code" or "remove-cell" in _tags(cell):
            continue
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        where = f"cell {i} ({src.strip().splitlines()[0][:60] if src.strip() else 'empty'}...)"
        if _shown_code(cell) and BOOKKEEPING.search(src):
            out.append(f"{where}: bookkeeping call in code shown open (fold it: no show-input tag)")
        if "remove-output" in _tags(cell):
            continue
        for o in cell.get("outputs", []):
            kind = o.get("output_type")
            if kind == "stream" and o.get("name") == "stdout" and "".join(o.get("text", "")).strip():
                out.append(f"{where}: prints text ({''.join(o['text']).strip()[:60]!r}); show prose or a table")
            elif kind == "execute_result" and set(o.get("data", {})) <= {"text/plain"}:
                out.append(f"{where}: echoes a bare value ({''.join(o['data'].get('text/plain', ''))[:60]!r}); "
                           "end the line with ';' or assign it")
            elif kind in ("display_data", "execute_result"):
                name = _glued(o)
                mimes = {m.removeprefix(GLUE_PREFIX) for m in o.get("data", {})}
                has_image = bool(mimes & set(IMAGE_MIMES))
                if name is None and has_image:
                    out.append(f"{where}: shows a figure with no caption (save it with ch.figure and place "
                               "it with a {glue:figure} block)")
                elif name is not None and (has_image or "text/html" in mimes) and name not in placed:
                    out.append(f"{where}: figure {name!r} is saved but no {{glue:figure}} block places it")
    return out
