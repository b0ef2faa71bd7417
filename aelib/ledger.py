"""The claims ledger: every claim's per-seed values, gates, control and three-valued verdict.

A chapter decides a claim with :func:`aelib.verdict.decide` (through ``Chapter.conclude``); the
records of one chapter and profile go to ``<home>/ledger/<profile>/<chapter>.json`` (rewritten on
every run of the chapter, so a claim that is no longer measured disappears).
:func:`render_markdown` turns every ledger file of a profile into the tables on the book's first
page; claims not yet measured are listed as such. Statements and thresholds come from the
registry (:mod:`aelib.claims`), never from the chapters.
"""

from __future__ import annotations

import html
import json
import os
import time
from pathlib import Path

from . import claims, site, verdict
from .paths import home


class LedgerError(ValueError):
    """An unknown claim id or a record that does not come from :func:`aelib.verdict.decide`."""


class LedgerDamaged(LedgerError):
    """A ledger file that cannot be read: the message names it and says what to do."""


def _ledger_dir(profile: str) -> Path:
    return home() / "ledger" / profile


def path_of(chapter: str, profile: str) -> Path:
    """Where the published ledger of one chapter at one profile lives."""
    return _ledger_dir(profile) / f"{chapter}.json"


class ChapterLedger:
    """The records of one chapter at one profile; every :meth:`add` rewrites the file atomically.

    The file is ``{"key": ..., "profile": ..., "chapter": ..., "records": [...]}``; ``key`` is the
    run key :mod:`aelib.execute` gave the kernel (``None`` for an interactive run, which therefore
    never counts as an up-to-date execution). ``path`` defaults to the published ledger; the main job
    points it into the chapter's staging folder and publishes it only when the chapter succeeds."""

    def __init__(self, chapter: str, profile: str, path: Path | None = None, key: str | None = None):
        self.chapter, self.profile, self.key = chapter, profile, key
        self.path = Path(path) if path else path_of(chapter, profile)
        self.records: dict[str, dict] = {}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._write()

    def add(self, decided: dict, *, figure: str = "", details: dict | None = None) -> dict:
        """Keep one decided record (:func:`aelib.verdict.decide`) with its figure and details."""
        cid = decided.get("id")
        if cid not in claims.REGISTRY:
            raise LedgerError(f"unknown claim id {cid!r}")
        c = claims.REGISTRY[cid]
        if c.chapter != self.chapter:
            raise LedgerError(f"{cid} belongs to chapter {c.chapter}, not {self.chapter}")
        if decided.get("verdict") not in verdict.VERDICTS:
            raise LedgerError(f"{cid}: verdict {decided.get('verdict')!r} is not one of {verdict.VERDICTS}")
        rec = dict(decided) | {"section": c.section, "anchor": c.anchor, "profile": self.profile,
                               "chapter": self.chapter, "figure": figure, "details": details or {},
                               "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
        self.records[cid] = rec
        self._write()
        return rec

    def _write(self) -> None:
        tmp = self.path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps({"key": self.key, "profile": self.profile, "chapter": self.chapter,
                                   "records": list(self.records.values())}, indent=1))
        os.replace(tmp, self.path)


def read_file(path: Path) -> dict:
    """One ledger file as ``{"key", "profile", "chapter", "records"}``; a damaged file raises
    :class:`LedgerDamaged` naming it and the way out."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
        if not isinstance(data, dict) or not isinstance(data.get("records"), list) \
                or not all(isinstance(r, dict) and "id" in r and "verdict" in r for r in data["records"]):
            raise ValueError("not a ledger written by this version of aelib")
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise LedgerDamaged(f"the ledger {path} is damaged ({err}); delete it and rerun the chapter "
                            f"(python -m aelib run --profile {path.parent.name} --only {path.stem}), "
                            f"or rerun with --force") from None
    return data


def load(profile: str) -> list[dict]:
    """Every record of a profile, in claim order."""
    recs = []
    for f in sorted(_ledger_dir(profile).glob("*.json")):
        recs.extend(read_file(f)["records"])
    order = list(claims.REGISTRY)
    return sorted(recs, key=lambda r: order.index(r["id"]) if r["id"] in order else len(order))


def fmt_value(v) -> str:
    """A claim's value as the tables print it (3 significant figures at the extremes)."""
    if v is None:
        return "n/a"
    if abs(v) >= 100 or (abs(v) < 0.01 and v != 0):
        return f"{v:.3g}"
    return f"{v:.3f}"


def value_text(rec: dict) -> str:
    """A record's median over seeds and its range, as every claims table prints them: ``0.967 [0.957, 1.008]``."""
    rng = rec.get("range")
    return fmt_value(rec.get("median")) + (f" [{fmt_value(rng[0])}, {fmt_value(rng[1])}]" if rng else "")


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


VERDICT_CLASS = {verdict.HOLDS: "holds", verdict.FAILS: "fails", verdict.INCONCLUSIVE: "inconclusive"}


def verdict_badge(v: str | None) -> str:
    """The verdict as a coloured inline label (styles in book/_static/verdicts.css)."""
    if v is None:
        return "not yet measured"
    return f'<span class="verdict verdict-{VERDICT_CLASS[v]}">{v}</span>'


def summary(profile: str) -> dict[str, dict[str, int]]:
    """Counts of verdicts per table ('C', 'X'): holds / does not hold / inconclusive / measured / total."""
    recs = {r["id"]: r for r in load(profile)}
    out = {}
    for prefix in ("C", "X"):
        ids = [c for c in claims.REGISTRY if c.startswith(prefix)]
        got = [recs[c]["verdict"] for c in ids if c in recs]
        out[prefix] = {"total": len(ids), "measured": len(got)} | {v: got.count(v) for v in verdict.VERDICTS}
    return out


def claim_href(cid: str) -> str:
    """Where a claim is decided: ``05_diffusion.html#claim-c15`` (the chapter emits ``id="claim-c15"``)."""
    return f"{claims.REGISTRY[cid].chapter}.html#{claims.REGISTRY[cid].anchor}"


def claim_link(cid: str) -> str:
    """The claim id as a raw HTML link to the place in its chapter where it is decided."""
    return f'<a class="claim-link" href="{claim_href(cid)}">{html.escape(cid)}</a>'


def _row(c: str, r: dict | None, n_max: int) -> list[str]:
    """One claim as a row of the compact table: claim and statement (the reason and seeds folded
    under it), verdict, median [range] over the threshold. ``data-label`` names each cell on a phone."""
    cl = claims.REGISTRY[c]
    esc = html.escape
    cls = f"claim-{VERDICT_CLASS[r['verdict']]}" if r else "claim-unmeasured"
    head = f'{claim_link(c)} <span class="claim-statement">{esc(cl.statement)}</span>'
    if r is None:
        first, verdict_cell, value = head, '<span class="verdict verdict-none">not yet measured</span>', ""
    else:
        value = value_text(r)
        n = len(r.get("seeds", []))
        more = [f"Measured on {n} seed{'s' if n != 1 else ''}."] if n != n_max else []
        if r.get("reason"):
            more.insert(0, f"Why {esc(r['verdict'])}: {esc(r['reason'])}")
        first = (f'<details class="claim-more"><summary>{head}</summary><p>{" ".join(more)}</p></details>'
                 if more else head)
        verdict_cell = verdict_badge(r["verdict"])
    return [f'<tr class="claim-row {cls}">',
            f'<td class="claim-what" data-label="claim">{first}</td>',
            f'<td class="claim-verdict" data-label="verdict">{verdict_cell}</td>',
            f'<td class="claim-value" data-label="median [range]"><span class="claim-median">{esc(value) or "n/a"}'
            f'</span><span class="claim-threshold">threshold: {esc(cl.threshold)}</span></td>',
            "</tr>"]


def render_markdown(profile: str) -> str:
    """The claims tables (essay claims, then extensions) as MyST markdown holding raw HTML tables:
    one compact row per claim (styles in book/_static/claims.css, a card per claim on a phone)."""
    recs = {r["id"]: r for r in load(profile)}
    counts = summary(profile)
    n_max = max((len(r.get("seeds", [])) for r in recs.values()), default=0)
    lines = []
    if profile in site.BANNER_PROFILES:  # the profiles whose numbers mean nothing, as the banner says
        lines += [":::{warning}", "This build ran at the `smoke` profile: tiny models, a few steps and two seeds. "
                  "Its numbers exercise the code and mean nothing about the essay; every verdict is expected to be "
                  "inconclusive.", ":::", ""]
    for title, prefix in (("The essay's claims", "C"), ("Beyond the essay (extensions)", "X")):
        ids = [c for c in claims.REGISTRY if c.startswith(prefix)]
        k = counts[prefix]
        lines += [f"### {title}", "",
                  f"Profile `{profile}`: {k['measured']} of {k['total']} measured: {k[verdict.HOLDS]} hold, "
                  f"{k[verdict.FAILS]} do not hold, {k[verdict.INCONCLUSIVE]} inconclusive"
                  + (f"; values are medians over {n_max} seeds, with their range." if n_max else "."), "",
                  '<div class="claims-wrap"><table class="claims-table">',
                  "<thead><tr><th>claim</th><th>verdict</th><th>median [range] and threshold</th></tr></thead>",
                  "<tbody>"]
        for c in ids:
            lines += _row(c, recs.get(c), n_max)
        lines += ["</tbody></table></div>", ""]
    return "\n".join(lines)


def _reason_kind(reason: str) -> str:
    if reason.startswith("gate 'trained to rule'"):
        return "a model the claim rests on was still improving when its training budget ran out"
    if reason.startswith("gate 'descent"):
        return "a representation descent did not move from its start (or had not converged)"
    if reason.startswith("gate "):
        return "another validity gate failed (a model that does not work, a sampler no better than noise...)"
    if reason.startswith("measure cannot discriminate"):
        return "the control clears the threshold too, so the measure cannot discriminate"
    if reason.startswith("seeds disagree"):
        return "the seeds disagree"
    if reason.startswith("only ") and "a verdict needs at least" in reason:
        return "too few seeds ran for a verdict"
    return "other reasons"


def render_summary(profile: str) -> str:
    """What this build found, in sentences written from the ledger (so they change with the numbers)."""
    recs = load(profile)
    if not recs:
        return "No chapter has been executed at this profile yet.\n"
    by = {v: [r for r in recs if r["verdict"] == v] for v in verdict.VERDICTS}

    def ids(rs):
        return ", ".join(claim_link(r["id"]) for r in rs) or "none"

    lines = [f"At the `{profile}` profile, {len(recs)} claims were measured on "
             f"{max(len(r.get('seeds', [])) for r in recs)} seeds each.", ""]
    lines.append(f"- **Hold on every seed** ({len(by[verdict.HOLDS])}): {ids(by[verdict.HOLDS])}.")
    lines.append(f"- **Fail on every seed** ({len(by[verdict.FAILS])}): {ids(by[verdict.FAILS])}.")
    kinds: dict[str, list] = {}
    for r in by[verdict.INCONCLUSIVE]:
        kinds.setdefault(_reason_kind(r.get("reason", "")), []).append(r)
    lines.append(f"- **Inconclusive** ({len(by[verdict.INCONCLUSIVE])}), because")
    for kind, rs in sorted(kinds.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"  - {kind} ({len(rs)}): {ids(rs)};")
    if by[verdict.INCONCLUSIVE]:
        lines[-1] = lines[-1].rstrip(";") + "."
    return "\n".join(lines) + "\n"


def render_changelog() -> str:
    """The changes of measures and thresholds made after results existed (aelib.claims.CHANGELOG)."""
    lines = ["| date | claim | before | after | why |", "|---|---|---|---|---|"]
    for ch in claims.CHANGELOG:
        lines.append(f"| {ch.date} | {ch.claim} | {_cell(ch.old)} | {_cell(ch.new)} | {_cell(ch.why)} |")
    return "\n".join(lines) + "\n"


def write_json(profile: str, path: Path) -> Path:
    """All records of a profile in one machine-readable file (shipped with the site)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    from .identity import run_identity

    path.write_text(json.dumps({"profile": profile, "identity": run_identity(profile), "claims": load(profile)},
                               indent=1, default=str))
    return path
