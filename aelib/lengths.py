"""The training-length axis: a claim's test at several lengths of the same training run, against FLOPs.

Every model of the book is trained by the stopping rule (:func:`aelib.gates.train_to_rule`) to a
quarter, a half and all of its cap, and the cache keeps each length (a longer run resumes from the
shorter one), so a claim's value at the shorter lengths costs only its evaluation; the U-Net's
longer runs (``walk.train_mults``) add lengths past the cap. This module measures a claim's
quantities at each length with the chapter's own code (``value_of(seed, steps)``), applies the
registered threshold at each, and says along the axis whether the test clears on every seed, on
none, or on some. A committed reference run at more training (:mod:`aelib.reference`) adds its
values at its own cap as a further point.

It applies the *test* along the axis, not the full verdict: the gates and the control are the
verdict's, judged at the build's cap (and at the reference's). A sentence that says "clears on
every seed from 750 steps on" reports the threshold test, and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.ticker import NullFormatter

from . import claims, gates

EVERY, NONE, SOME = "every seed", "no seed", "some seeds"


def steps_along(cap: int, mults: tuple[int, ...] = (1,), doublings: int = 2) -> list[int]:
    """The lengths at which a model trained to ``cap`` by the rule exists in the cache: the rule's
    schedule (cap / 4, cap / 2, cap) and ``cap * m`` for each longer run ``m``."""
    return sorted(set(gates.schedule(cap, doublings)) | {cap * m for m in mults if m >= 1})


def model_at(ch, name: str, seed: int, steps: int):
    """The shared model ``name`` (:data:`aelib.chapter.SHARED`) of ``seed`` after ``steps`` optimiser
    steps of its run, from the cache (the rule trained it there; a missing length is trained on)."""
    return ch.train(name, ch.shared_config(name), ch.train_config(steps=steps, seed=seed)).model


def clears(claim_id: str, quantities: dict) -> bool | None:
    """Whether every test of the claim passes on these quantities (None when one was not measured)."""
    res = [t.passes(quantities.get(t.quantity)) for t in claims.get(claim_id).tests]
    return None if any(r is None for r in res) else all(res)


def measure(claim_id: str, seeds, steps: list[int], value_of: Callable[[int, int], dict | float]) -> pd.DataFrame:
    """The claim's quantities at every (seed, length): ``value_of(seed, steps)`` returns a dict of the
    claim's quantities (or the headline value alone). Columns: seed, steps, each quantity, clears."""
    claim = claims.get(claim_id)
    rows = []
    for s in seeds:
        for k in steps:
            q = value_of(s, k)
            q = q if isinstance(q, dict) else {claim.headline: q}
            row = {"seed": s, "steps": int(k)} | {n: float(v) for n, v in q.items()}
            rows.append(row | {"clears": clears(claim_id, q)})
    return pd.DataFrame(rows)


def outcome(flags) -> str:
    """:data:`EVERY`, :data:`NONE` or :data:`SOME`: how many seeds clear the test at one length."""
    flags = [bool(f) for f in flags]
    return EVERY if all(flags) else NONE if not any(flags) else SOME


def per_length(df: pd.DataFrame, claim_id: str, flops_per_step: float) -> pd.DataFrame:
    """One row per length: steps, training FLOPs, median, lowest and highest seed value of the
    headline quantity, how many seeds clear the threshold, and :func:`outcome`."""
    q = claims.get(claim_id).headline
    rows = []
    for k, g in df.groupby("steps", sort=True):
        rows.append({"steps": int(k), "training FLOPs": flops_per_step * k, "median": float(np.median(g[q])),
                     "lowest": float(g[q].min()), "highest": float(g[q].max()),
                     "seeds clearing": f"{int(g['clears'].sum())} of {len(g)}", "test clears on": outcome(g["clears"])})
    return pd.DataFrame(rows).set_index("steps")


@dataclass(frozen=True)
class ReferencePoint:
    """A claim at a reference scale's cap: its per-seed headline values and its full verdict."""
    label: str
    steps: int
    values: tuple[float, ...]
    verdict: str


def reference_point(claim_id: str, refs, steps_field: str, profile) -> ReferencePoint | None:
    """The first committed reference (:func:`aelib.reference.load_all`) that measured ``claim_id`` by
    its current definition on the same data and model sizes as ``profile`` (it differs only in
    training budgets: :func:`aelib.reference.comparable`), at the length ``steps_field``
    (``"train.steps"``) of its profile."""
    from .reference import comparable

    for r in refs:
        if not r.compares(claim_id) or not comparable(r, profile):
            continue
        rec = r.records[claim_id]
        section, _, name = steps_field.partition(".")
        steps = r.provenance["profile"][section][name]
        return ReferencePoint(r.name, int(steps), tuple(float(s["value"]) for s in rec["seeds"]), rec["verdict"])
    return None


def sentence(claim_id: str, table: pd.DataFrame, cap: int, ref: ReferencePoint | None = None) -> str:
    """What the axis shows, in words that follow the numbers: the threshold test at each length, where
    it changes, and the reference's verdict at its own length."""
    claim = claims.get(claim_id)
    lim = claim.test().text()
    lo, hi = int(table.index.min()), int(table.index.max())
    outs = table["test clears on"]
    at_cap = outs.get(cap)
    first = (f"{claim_id} along {len(table)} training lengths ({lo:,} to {hi:,} steps, "
             f"{table['training FLOPs'].min():.1e} to {table['training FLOPs'].max():.1e} FLOPs): ")
    if outs.nunique() == 1:
        at_all = {EVERY: "on every seed at every length", NONE: "on no seed at any length",
                  SOME: "on some seeds but not all, at every length"}[outs.iloc[0]]
        text = (f"the threshold test ({lim}) clears {at_all}; the median goes from "
                f"{table['median'].iloc[0]:.3g} to {table['median'].iloc[-1]:.3g}")
    else:
        changes = [f"{outs.iloc[i]} at {int(k):,} steps" for i, k in enumerate(table.index)
                   if i == 0 or outs.iloc[i] != outs.iloc[i - 1]]
        text = (f"the threshold test ({lim}) changes along the axis: it clears on {', then on '.join(changes)}; "
                f"the median goes from {table['median'].iloc[0]:.3g} to {table['median'].iloc[-1]:.3g}")
    if at_cap is not None and hi > cap:
        text += f" (at the build's cap of {cap:,} steps: {at_cap})"
    if ref is not None:
        med = float(np.median(ref.values))
        text += (f". At the {ref.label} reference ({ref.steps:,} steps) the median is {med:.3g} "
                 f"and the verdict {ref.verdict}")
    return first + text + "."


def _short(x: float) -> str:
    """1.5e12 as '1.5e12': a compact tick label."""
    m, e = f"{x:.1e}".split("e")
    return f"{m}e{int(e)}"


def plot(ax, df: pd.DataFrame, claim_id: str, flops_per_step: float, cap: int, ref: ReferencePoint | None = None,
         title: str | None = None) -> None:
    """The headline quantity against training FLOPs on ``ax``: one thin line per seed, the median
    thick, the threshold dashed, the build's cap dotted, and the reference's seeds as open circles."""
    claim = claims.get(claim_id)
    q, t = claim.headline, claim.test()
    for s, g in df.groupby("seed"):
        g = g.sort_values("steps")
        ax.plot(g["steps"] * flops_per_step, g[q], "o-", lw=0.8, ms=3, alpha=0.6, label=f"seed {s}")
    med = df.groupby("steps")[q].median()
    ax.plot(med.index * flops_per_step, med.values, "k-", lw=2.2, label="median")
    limits = t.limit if isinstance(t.limit, tuple) else (t.limit,)
    for lim in limits:
        ax.axhline(lim, color="tab:red", ls="--", lw=1.2, label="threshold" if lim == limits[0] else None)
    ax.axvline(cap * flops_per_step, color="0.5", ls=":", lw=1, label=f"this build's cap ({cap:,} steps)")
    if ref is not None:
        x = ref.steps * flops_per_step
        ax.plot([x] * len(ref.values), ref.values, "o", mfc="none", mec="k", ms=7,
                label=f"{ref.label} reference ({ref.verdict})")
    ax.set_xscale("log")
    ticks = sorted(set(df["steps"]) | ({ref.steps} if ref is not None else set()))
    ax.set_xticks([k * flops_per_step for k in ticks], [_short(k * flops_per_step) for k in ticks], fontsize=8)
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("training FLOPs")
    ax.set_ylabel(t.label or q)
    ax.set_title(title or f"{claim_id}: {t.text()}", fontsize=10)


@dataclass(frozen=True)
class Panel:
    """One claim's axis: its measurements (:func:`measure`), FLOPs per optimiser step of the model
    trained, the build's cap and the profile field that sets that cap (to find a reference's length)."""
    df: pd.DataFrame
    flops_per_step: float
    cap: int
    steps_field: str


def figure(panels: dict[str, Panel], profile, refs) -> tuple[object, dict[str, str]]:
    """One panel per claim (:func:`plot`) with a shared legend, and each claim's :func:`sentence`,
    with the point of the first comparable reference in ``refs`` (:func:`reference_point`)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 0.5, 3.6), squeeze=False)
    said = {}
    for ax, (cid, pn) in zip(axes[0], panels.items()):
        ref = reference_point(cid, refs, pn.steps_field, profile)
        plot(ax, pn.df, cid, pn.flops_per_step, pn.cap, ref)
        said[cid] = sentence(cid, per_length(pn.df, cid, pn.flops_per_step), pn.cap, ref)
    legend = {}
    for ax in axes[0]:  # every label once, whichever panel drew it (a reference may be in some only)
        for h, lab in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(lab, h)
    handles, labels = list(legend.values()), list(legend)
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    return fig, said
