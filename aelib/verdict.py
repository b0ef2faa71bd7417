"""Three-valued verdicts from several seeds, validity gates and a control.

A chapter collects, for one claim, one :meth:`Measurement.add` per seed: the quantities the
claim's tests read (:mod:`aelib.claims`), the same quantities measured on the claim's control,
and the gates checked on that seed. :func:`decide` turns that into the record the ledger keeps:

1. fewer than ``MIN_SEEDS`` seeds                          -> inconclusive
2. a registered gate not measured, or failed on any seed -> inconclusive (the gate, its value)
3. the control clears the test too (median over seeds)     -> inconclusive ("measure cannot discriminate")
4. every seed clears -> holds; no seed clears -> does not hold; otherwise inconclusive (seeds disagree)

A quantity that was not measured (None or NaN) on a seed makes that seed undecided, and the
verdict inconclusive. Nothing here knows any threshold: they all come from the registry.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from . import claims, names

HOLDS, FAILS, INCONCLUSIVE = "holds", "does not hold", "inconclusive"
VERDICTS = (HOLDS, FAILS, INCONCLUSIVE)


@dataclass
class GateCheck:
    """One gate checked on one seed, for one subject (a model, a descent, a sampler)."""
    gate: str
    subject: str
    value: float | None
    seed: int | None = None

    def __post_init__(self):
        if self.gate not in claims.GATES:
            raise claims.RegistryError(f"unknown gate {self.gate!r}; known: {', '.join(claims.GATES)}")
        if self.value is not None:
            self.value = float(self.value)

    @property
    def passed(self) -> bool:
        return claims.GATES[self.gate].passes(self.value)


def check(gate: str, subject: str, value: float | None, seed: int | None = None) -> GateCheck:
    return GateCheck(gate, subject, value, seed)


def _num(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def _as_quantities(claim: claims.Claim, value) -> dict[str, float | None]:
    if isinstance(value, dict):
        q = {k: _num(v) for k, v in value.items()}
    else:
        q = {claim.headline: _num(value)}
    missing = [t.quantity for t in claim.tests if t.quantity not in q]
    if missing:
        raise claims.RegistryError(f"{claim.id}: measurement lacks {missing}; its tests read "
                                   f"{[t.quantity for t in claim.tests]}")
    return q


def clears(claim: claims.Claim, q: dict[str, float | None]) -> bool | None:
    """True when every test passes, False when one fails, None when a quantity is missing."""
    results = [t.passes(q.get(t.quantity)) for t in claim.tests]
    if any(r is False for r in results):
        return False
    if any(r is None for r in results):
        return None
    return True


@dataclass
class Measurement:
    """Per-seed values, control values and gate checks of one claim."""
    claim_id: str
    seeds: list[dict] = field(default_factory=list)
    control: list[dict] = field(default_factory=list)
    gates: list[GateCheck] = field(default_factory=list)

    def __post_init__(self):
        self.claim = claims.get(self.claim_id)

    def add(self, seed: int, value, control=None, gates: list[GateCheck] = (), details: dict | None = None):
        """One seed: ``value`` (a number, or a dict of the claim's quantities), the same for the
        control, and the gates checked on this seed."""
        if any(s["seed"] == seed for s in self.seeds):
            raise claims.RegistryError(f"{self.claim_id}: seed {seed} added twice")
        q = _as_quantities(self.claim, value)
        self.seeds.append({"seed": int(seed), "value": q[self.claim.headline], "quantities": q,
                           "clears": clears(self.claim, q), "details": details or {}})
        if control is not None:
            cq = _as_quantities(self.claim, control)
            self.control.append({"seed": int(seed), "value": cq[self.claim.headline], "quantities": cq})
        for g in gates:
            if g.seed is None:
                g.seed = int(seed)
            self.gates.append(g)
        return self


def _gate_summary(checks: list[GateCheck]) -> list[dict]:
    """One entry per (gate, subject): the worst value over seeds, every seed's value, passed."""
    out: dict[tuple[str, str], dict] = {}
    for g in checks:
        key = (g.gate, g.subject)
        e = out.setdefault(key, {"name": g.gate, "subject": g.subject, "limit": f"{claims.GATES[g.gate].op} "
                                 f"{claims.GATES[g.gate].limit:g}", "seeds": {}, "passed": True, "value": None})
        e["seeds"][str(g.seed)] = g.value
        e["passed"] = e["passed"] and g.passed
    for e in out.values():
        vals = [v for v in e["seeds"].values() if v is not None]
        gate = claims.GATES[e["name"]]
        if len(vals) < len(e["seeds"]):
            e["value"] = None
        elif vals:
            worst = max(vals) if gate.op in ("<", "<=") else min(vals)
            e["value"] = worst
    return list(out.values())


def decide(m: Measurement) -> dict:
    """The verdict record of a measurement (see the module docstring for the rule)."""
    claim = m.claim
    values = [s["value"] for s in m.seeds]
    present = [v for v in values if v is not None]
    med = statistics.median(present) if present else None
    rng = [min(present), max(present)] if present else None
    gates = _gate_summary(m.gates)
    ctrl = None
    if m.control:
        cvals = {t.quantity: statistics.median([c["quantities"][t.quantity] for c in m.control
                                                if c["quantities"][t.quantity] is not None] or [float("nan")])
                 for t in claim.tests}
        cclear = clears(claim, {k: _num(v) for k, v in cvals.items()})
        ctrl = {"what": claim.control, "value": _num(cvals[claim.headline]), "quantities": cvals,
                "seeds": [c["value"] for c in m.control], "clears": cclear,
                "discriminates": cclear is False}
    n_clear = sum(1 for s in m.seeds if s["clears"] is True)
    n_fail = sum(1 for s in m.seeds if s["clears"] is False)
    n = len(m.seeds)
    reason = ""
    failed = [g for g in gates if not g["passed"]]
    missing = [g for g in claim.gates if g not in {c.gate for c in m.gates}]
    if n < claims.MIN_SEEDS:
        verdict, reason = INCONCLUSIVE, f"only {n} seed(s); a verdict needs at least {claims.MIN_SEEDS}"
    elif missing:
        verdict, reason = INCONCLUSIVE, f"gate '{missing[0]}' registered for {claim.id} was not measured"
    elif failed:
        g = failed[0]
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        val = "not measured" if g["value"] is None else f"{g['value']:.3g}"
        verdict, reason = INCONCLUSIVE, (f"gate '{g['name']}' failed for {names.readable(g['subject'])}: {val}, "
                                         f"needs {g['limit']}{more}")
    elif ctrl is None:
        verdict, reason = INCONCLUSIVE, f"control ({claim.control}) not measured"
    elif not ctrl["discriminates"]:
        cv = "not measured" if ctrl["value"] is None else f"{ctrl['value']:.3g}"
        verdict, reason = INCONCLUSIVE, (f"measure cannot discriminate: the control ({claim.control}) gives {cv}, "
                                         "which clears the threshold too" if ctrl["clears"] else
                                         f"measure cannot discriminate: the control ({claim.control}) was not measured")
    elif n_clear == n:
        verdict = HOLDS
    elif n_fail == n:
        verdict, reason = FAILS, f"no seed clears {claim.threshold}"
    else:
        undecided = n - n_clear - n_fail
        verdict = INCONCLUSIVE
        reason = f"seeds disagree: {n_clear} of {n} clear the threshold" + (
            f", {undecided} not measured" if undecided else "")
    return {"id": claim.id, "statement": claim.statement, "measure": claim.measure, "threshold": claim.threshold,
            "seeds": [{"seed": s["seed"], "value": s["value"], "clears": s["clears"],
                       "quantities": s["quantities"], "details": s["details"]} for s in m.seeds],
            "value": med, "median": med, "range": rng, "verdict": verdict, "reason": reason,
            "gates": gates, "control": ctrl}


def says(rec: dict, yes, no, open_):
    """One of three texts by a record's verdict (holds / does not hold / inconclusive), for glued prose."""
    return yes if rec["verdict"] == HOLDS else no if rec["verdict"] == FAILS else open_
