"""Reading a verdict record: numbers and verdicts written for prose, per-seed values, tables.

A record is what :func:`aelib.verdict.decide` returns and the ledger keeps. These helpers turn one
into the short texts and numbers that glued prose and conclusions quote, and show a table of
numbers rounded for reading.
"""

from __future__ import annotations

import math
import numbers
import statistics

import pandas as pd

from . import claims
from .ledger import VERDICT_CLASS


def fmt(x, spec: str = ".2f") -> str:
    """``x`` formatted by ``spec``, or "not measured" when it is None."""
    return "not measured" if x is None else format(x, spec)


def span(values, spec: str = ".2f") -> str:
    """"lowest to highest" of the values that were measured, or "not measured"."""
    vals = [v for v in values if v is not None]
    return f"{min(vals):{spec}} to {max(vals):{spec}}" if vals else "not measured"


def median(values) -> float:
    """The median of numbers (numpy and torch scalars included), as a Python float."""
    return float(statistics.median([float(v) for v in values]))


def seed_values(rec: dict, name: str, field: str = "details") -> list:
    """One value per seed of a record: ``name`` from each seed's ``details`` (or ``quantities``)."""
    return [s[field][name] for s in rec["seeds"]]


def seed_median(rec: dict, name: str, field: str = "details") -> float:
    """The median over seeds of :func:`seed_values`."""
    return median(seed_values(rec, name, field))


def median_seed(rec: dict) -> dict:
    """The seed entry of a verdict record whose headline value is the median (the lower of the two
    middle ones for an even number): the seed to quote other numbers from, so that they agree with
    the median a sentence gives beside them."""
    seeds = sorted((s for s in rec["seeds"] if s["value"] is not None), key=lambda s: s["value"])
    if not seeds:
        raise ValueError(f"{rec['id']} has no measured seed")
    return seeds[(len(seeds) - 1) // 2]


def control_value(rec: dict) -> float:
    """The control's headline value (median over seeds), NaN when the control was not measured."""
    ctrl = rec["control"] or {}
    return float("nan") if ctrl.get("value") is None else ctrl["value"]


def reason(rec: dict) -> str:
    """Why the verdict is what it is: the record's reason, or, when the claim holds, that every
    seed clears its test(s) and the control does not."""
    if rec["reason"]:
        return rec["reason"]
    n = len(claims.get(rec["id"]).tests)
    tests = "the test" if n == 1 else "both conditions" if n == 2 else f"all {n} conditions"
    return f"every seed clears {tests} and the control does not"


def verdict_verb(rec: dict) -> str:
    """The verdict as the verb of a sentence about the claim: holds, does not hold, is inconclusive."""
    return {"holds": "holds", "does not hold": "does not hold"}.get(rec["verdict"], "is inconclusive")


def failed_gate(rec: dict) -> dict | None:
    """The first gate entry of a record that failed, or None."""
    failed = [g for g in rec["gates"] if not g["passed"]]
    return failed[0] if failed else None


def number(x) -> str:
    """A number as a reader wants it: integers whole (with thousands separators), other numbers to
    three significant digits without exponent between 0.001 and 10,000; blank when missing."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, numbers.Integral):
        return f"{x:,}"
    if isinstance(x, numbers.Real):
        a = abs(x)
        if a == 0:
            return "0"
        if a >= 10_000 or a < 1e-3:
            return f"{x:.2e}"
        if a >= 100:
            return f"{x:,.0f}"
        return f"{x:#.3g}".rstrip(".")  # three significant digits, trailing zeros kept: 1.00, 2.30, 0.0500
    return str(x)


def show(data, index=None):
    """A table for reading, from a DataFrame, a list of row dicts or a dict of columns: no row
    numbers (a named index, or the columns ``index``, become the first columns), numbers by
    :func:`number`, True/False as yes/no, blank where a value does not apply. Returns a pandas
    Styler, which a chapter shows as its cell's output."""
    df = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    if index is not None:
        df = df.set_index(index)
    if not isinstance(df.index, pd.RangeIndex) or any(n is not None for n in df.index.names):
        df = df.reset_index()
    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
    df = df.astype(object).where(df.notna(), None)
    styler = df.style.format(number).hide(axis="index").set_table_attributes('class="reading-table"')
    return styler.set_properties(subset=numeric, **{"text-align": "right"}) if numeric else styler


def claim_box(rec: dict, profile=None) -> str:
    """The verdict of one claim as a small coloured HTML box for its chapter: id, verdict, the
    median and range over seeds, the threshold, the control's value and the reason."""
    import html

    cl = claims.get(rec["id"])
    kind = VERDICT_CLASS.get(rec["verdict"], "inconclusive")
    vals = [s["value"] for s in rec["seeds"]]
    ctrl = control_value(rec)
    ctrl_text = "" if math.isnan(ctrl) else f"; control {number(ctrl)}"
    return (f'<div class="claim-box claim-{kind}" id="{cl.anchor}-verdict">'
            f'<strong>{cl.id}</strong> <span class="verdict verdict-{kind}">{html.escape(rec["verdict"])}</span> '
            f'median {number(rec["median"])} over {len(vals)} seeds ({span(vals)}); needs '
            f'{html.escape(claims.with_numbers(cl.threshold, profile))}{ctrl_text}.'
            f'<br><span class="claim-reason">{html.escape(reason(rec))}.</span></div>')




def per_seed(rows: dict) -> pd.DataFrame:
    """A DataFrame with one row per seed from ``{seed: {column: value}}``, its index named "seed"."""
    return pd.DataFrame(rows).T.rename_axis("seed")


def gate_table(rec: dict) -> pd.DataFrame:
    """A record's gates, one row per gate and subject: the limit, the worst value over seeds, passed."""
    return pd.DataFrame([{"gate": g["name"], "subject": g["subject"], "needs": g["limit"],
                          "worst over seeds": g["value"], "passed": g["passed"]} for g in rec["gates"]])
