"""The claims ledger: every claim of the essay as a number, a threshold and a verdict.

A chapter calls :func:`record` for each claim it measures; the records of one chapter and profile
go to ``<home>/ledger/<profile>/<chapter>.json`` (rewritten on every run of the chapter, so a
claim that is no longer measured disappears). :func:`render_markdown` turns every ledger file of
a profile into the table on the book's first page; claims not yet measured are listed as such.

Thresholds are written in the chapters *before* the first run and never tuned afterwards; the
verdict is computed here from the value and the threshold, never typed.

Used by every chapter (through :mod:`aelib.chapter`) and by the first page (``intro.md``).
"""

from __future__ import annotations

import json
import math
import operator
import re
import time
from pathlib import Path

from .cache import home

# Our short statements of the essay's claims (C) and of the book's extensions (X).
CLAIMS: dict[str, tuple[str, str]] = {
    "C1": ("identity", "An overcomplete fully connected autoencoder trained to copy does not learn the identity."),
    "C2": ("identity", "The same model denoises held-out images: |O(a_hat) - a| < |a_hat - a|."),
    "C3": ("identity", "With encoder-decoder skips kept, a U-Net copies its input far more than without them."),
    "C4": ("denoising", "Training makes the output layer's input representation far less noisy."),
    "C5": ("denoising", "The no-skip U-Net denoises held-out images from light to heavy corruption."),
    "C6": ("denoising", "From pure noise the no-skip U-Net outputs something image-like."),
    "C7": ("denoising", "The representation of a corrupted input is nearer the clean image than the input was."),
    "C8": ("denoising", "A U-Net with a narrow MLP bottleneck autoencodes and denoises but represents its input poorly."),
    "C9": ("noninvertibility", "At initialisation the representation noise of a non-invertible layer is near Gaussian."),
    "C10": ("noninvertibility", "The Lyapunov ratio (delta = 1) falls toward 0 as more terms are summed."),
    "C11": ("noninvertibility", "After training the representation noise is measurably less Gaussian."),
    "C12": ("manifold walk", "The noisy latent walk moves far from its start while staying image-like."),
    "C13": ("manifold walk", "Without noise many inputs still walk: the learned manifold is unstable."),
    "C14": ("manifold walk", "More training makes fewer inputs walk without noise."),
    "C15": ("diffusion", "Iterated denoise-and-renoise from pure noise gives image-like samples (N = 30, 200)."),
    "C16": ("diffusion", "The hidden-MLP U-Net's samples carry a style of their own."),
    "C17": ("diffusion", "Twice the feature maps: more detail, less global order; one more level restores order."),
    "C18": ("diffusion", "More compute gives better samples."),
    "C19": ("batch norm", "The U-Net denoises better than the fully connected autoencoder."),
    "C20": ("batch norm", "Without batch norm the outputs are not noisy but statistically unlike the data."),
    "C21": ("batch norm", "Batch size 1 (spatial statistics only) denoises about as well as batches of 8-16."),
    "C22": ("batch norm", "The U-Net represents its input about equally well with or without batch norm."),
    "C23": ("batch norm", "Batch norm must stay in train mode for synthesis; eval mode breaks it."),
    "C24": ("attention", "An attention U-Net denoises worse than the plain no-skip U-Net."),
    "C25": ("attention", "One linear-attention layer between two convolutions copies: near-perfect representation."),
    "C26": ("attention", "Dot-product attention there represents the input less accurately than linear attention."),
    "C27": ("attention", "Dot-product attention alone autoencodes well, represents well, and does not denoise."),
    "X1": ("extension", "Trained on one image: constant map, identity, or neither?"),
    "X2": ("extension", "Where two models on disjoint data start to generate the same images."),
    "X3": ("extension", "The FC identity gap over width x training length."),
    "X4": ("extension", "Are training images attractors of the trained autoencoder?"),
    "X5": ("extension", "Is the noise-free walk's stopping the same as falling into an attractor?"),
    "X6": ("extension", "The essay's sampler vs a standard diffusion model at matched compute."),
}

_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


class LedgerError(ValueError):
    """An unknown claim id or a threshold that cannot be read."""


def _ledger_dir(profile: str) -> Path:
    return home() / "ledger" / profile


def evaluate(value: float, threshold: str) -> bool:
    """``threshold`` is ``"< 1"``, ``">= 2.0"`` ...; the verdict of ``value`` against it."""
    m = re.fullmatch(r"\s*(<=|>=|<|>)\s*([-+0-9.eE]+)\s*", threshold)
    if not m:
        raise LedgerError(f"cannot read threshold {threshold!r}; write it as '< 1.0', '>= 2' ...")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return _OPS[m.group(1)](float(value), float(m.group(2)))


class ChapterLedger:
    """The records of one chapter at one profile; every :meth:`record` rewrites the file."""

    def __init__(self, chapter: str, profile: str):
        self.chapter, self.profile = chapter, profile
        self.path = _ledger_dir(profile) / f"{chapter}.json"
        self.records: dict[str, dict] = {}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._write()

    def record(self, claim_id: str, value: float | None, threshold: str | None, verdict: bool | None = None, *,
               profile: str | None = None, figure: str = "", measure: str = "", details: dict | None = None) -> dict:
        """Record one claim. ``verdict=None`` computes it from ``value`` and ``threshold``;
        pass a bool only for claims whose verdict combines several conditions (then the
        ``threshold`` text states all of them). ``threshold=None`` records a *finding* of an
        extension (X ids only): a number with no stated threshold and no verdict; ``value=None``
        says the quantity was not reached (e.g. a transition beyond the largest N tried)."""
        if claim_id not in CLAIMS:
            raise LedgerError(f"unknown claim id {claim_id!r}")
        if threshold is None:  # a finding: a number with no stated threshold (extensions only)
            if not claim_id.startswith("X"):
                raise LedgerError(f"{claim_id} is one of the essay's claims and needs a threshold")
            if verdict is not None:
                raise LedgerError(f"{claim_id}: a finding without a threshold cannot carry a verdict")
        elif verdict is None:
            verdict = evaluate(value, threshold)
        section, statement = CLAIMS[claim_id]
        rec = {"id": claim_id, "section": section, "statement": statement, "measure": measure,
               "value": None if value is None else float(value), "threshold": threshold or "",
               "verdict": None if verdict is None else bool(verdict),
               "profile": profile or self.profile, "chapter": self.chapter, "figure": figure,
               "details": details or {}, "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
        self.records[claim_id] = rec
        self._write()
        return rec

    def _write(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(list(self.records.values()), indent=1))
        tmp.replace(self.path)


def load(profile: str) -> list[dict]:
    """Every record of a profile, in claim order."""
    recs = []
    for f in sorted(_ledger_dir(profile).glob("*.json")):
        recs.extend(json.loads(f.read_text()))
    order = list(CLAIMS)
    return sorted(recs, key=lambda r: order.index(r["id"]) if r["id"] in order else len(order))


def _fmt(v) -> str:
    if v is None:
        return "n/a"
    if abs(v) >= 100 or (abs(v) < 0.01 and v != 0):
        return f"{v:.3g}"
    return f"{v:.3f}"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(profile: str) -> str:
    """The claims tables (essay claims, then extensions) as MyST markdown, full page width."""
    recs = {r["id"]: r for r in load(profile)}
    lines = []
    for title, prefix in (("The essay's claims", "C"), ("Beyond the essay (extensions)", "X")):
        ids = [c for c in CLAIMS if c.startswith(prefix)]
        held = sum(1 for c in ids if c in recs and recs[c]["verdict"] is True)
        failed = sum(1 for c in ids if c in recs and recs[c]["verdict"] is False)
        measured = sum(1 for c in ids if c in recs)
        findings = measured - held - failed
        lines += [f"### {title}", "",
                  f"Profile `{profile}`: {measured} of {len(ids)} measured, {held} hold, "
                  f"{failed} do not hold" + (f", {findings} recorded as findings (no threshold)" if findings else "")
                  + ".", "",
                  ":::{div} full-width", "",
                  "| claim | statement | measured as (figure) | value | threshold | verdict |",
                  "|---|---|---|---|---|---|"]
        for c in ids:
            section, statement = CLAIMS[c]
            r = recs.get(c)
            if r is None:
                lines.append(f"| {c} | {_cell(statement)} | | | | not yet measured |")
                continue
            verdict = {True: "**holds**", False: "**does not hold**", None: "finding"}[r["verdict"]]
            fig = f" ({r['figure']})" if r["figure"] else ""
            lines.append(f"| [{c}]({r['chapter']}.ipynb) | {_cell(statement)} | {_cell(r['measure'])}{fig} | "
                         f"{_fmt(r['value'])} | {_cell(r['threshold']) or 'none stated'} | {verdict} |")
        lines += ["", ":::", ""]
    return "\n".join(lines)


def write_json(profile: str, path: Path) -> Path:
    """All records of a profile in one machine-readable file (shipped with the site)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"profile": profile, "claims": load(profile)}, indent=1))
    return path
