"""Reference results: runs of the book at other scales, committed as data with their provenance.

The default build runs at one scale (``cpu``). A reader who sees "does not hold" there wants to know
whether more compute would change it, so runs at other scales (``long``: 4x the training of every
model on the same data, on the same 2-core machine; a GPU run where one was lent) are saved in the
repository and read beside this build's numbers. One reference is one folder of :data:`ROOT`::

    <name>/provenance.json        commit, resolved profile (every field, overrides included), torch and
                                  package versions, machine, start, end, wall time, per-chapter seconds,
                                  and the fingerprints of the claim registry the run was judged by
    <name>/ledger/<chapter>.json  the run's ledger files, as the chapters wrote them
    <name>/figures/<chapter>/<figure>.png   the run's key figures (:data:`KEY_FIGURES`), downscaled

A reference whose registry fingerprint (:func:`aelib.claims.digest`) differs from the current one
is *stale*: it was judged against other thresholds, controls or gates. Its cells are still shown,
marked, and a chapter's comparison (:func:`differences`) leaves its changed claims out.

``python -m aelib.reference save --profile long --home <AELIB_HOME of the run> ...`` writes one
(:func:`save`); the first page (:func:`scales_markdown`, :func:`figures_markdown`) and each chapter
(:func:`chapter_text`) read them.
"""

from __future__ import annotations

import argparse
import html
import json
import shutil
import subprocess
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

from . import claims, ledger, names, verdict
from .paths import REPO

ROOT = REPO / "benchmarks" / "reference" / "scales"

# A few figures per chapter that show the scale difference best (names as the chapters save them).
KEY_FIGURES: dict[str, tuple[str, ...]] = {
    "01_identity": ("fc_denoising", "skip_vs_noskip"),
    "02_denoising": ("unet_denoising", "pure_noise"),
    "03_noninvertibility": ("noise_trained_vs_untrained",),
    "04_manifold_walk": ("walk_strip", "walk_distances"),
    "05_diffusion": ("samples", "variant_samples"),
    "06_batchnorm": ("train_vs_eval_samples", "batch1_denoising"),
    "07_attention": ("attention_unet_denoising",),
    "08_memorization": ("fig_x2_pairs_photos",),
    "09_diffusion_baseline": ("x6_samples",),
}
# The fields that set how long models train: a reference that differs from a build only in these is
# the same experiment with more (or less) training, and its values extend the build's length axis.
TRAINING_BUDGETS = ("train.steps", "fc.steps", "attn.steps", "bn.b1_steps", "nonin.steps", "mem.steps",
                    "mem.single_steps", "mem.fc_steps")
FIGURE_WIDTH = 900  # pixels: a committed reference figure is downscaled to at most this width


class ReferenceError(ValueError):
    """A reference folder that is incomplete or damaged, or a run that cannot be saved as one."""


@dataclass
class Reference:
    """One committed reference run."""
    name: str
    folder: Path
    provenance: dict
    records: dict[str, dict] = field(default_factory=dict)  # claim id -> ledger record

    @property
    def date(self) -> str:
        return str(self.provenance.get("finished", ""))[:10]

    @property
    def label(self) -> str:
        """How a column or caption names it: ``long, 2026-11-30``."""
        return f"{self.name}, {self.date}" if self.date else self.name

    @property
    def stale(self) -> bool:
        """True when the claim registry changed since the run (any claim, threshold, control or gate)."""
        return self.provenance.get("registry") != claims.digest()

    def stale_claim(self, cid: str) -> bool:
        """True when claim ``cid`` was judged by another definition than today's (or is unknown now)."""
        saved = self.provenance.get("claims", {}).get(cid)
        return cid not in claims.REGISTRY or saved != claims.digest(cid)

    def compares(self, cid: str) -> bool:
        """True when this reference measured claim ``cid`` by today's definition: it can be compared."""
        return cid in self.records and not self.stale_claim(cid)

    def figure(self, chapter: str, name: str) -> Path | None:
        p = self.folder / "figures" / chapter / f"{name}.png"
        return p if p.is_file() else None


def read(folder: Path) -> Reference:
    """One reference folder; raises :class:`ReferenceError` naming the file when it is incomplete."""
    folder = Path(folder)
    prov_path = folder / "provenance.json"
    try:
        prov = json.loads(prov_path.read_text())
    except (OSError, ValueError) as err:
        raise ReferenceError(f"reference {folder.name}: cannot read {prov_path} ({err}); restore it from git "
                             "(git checkout -- benchmarks/reference) or delete the folder") from None
    missing = [k for k in ("commit", "profile", "torch", "machine", "started", "finished", "wall_s", "registry")
               if k not in prov]
    if missing:
        raise ReferenceError(f"reference {folder.name}: provenance.json lacks {missing}")
    recs = {}
    for f in sorted((folder / "ledger").glob("*.json")):
        try:
            data = ledger.read_file(f)
        except ledger.LedgerDamaged as err:
            raise ReferenceError(f"reference {folder.name}: {err}") from None
        recs |= {r["id"]: r for r in data["records"]}
    if not recs:
        raise ReferenceError(f"reference {folder.name}: no ledger records under {folder / 'ledger'}")
    return Reference(folder.name, folder, prov, recs)


def load_all(root: Path = ROOT) -> list[Reference]:
    """Every committed reference, oldest scale first by training compute (the order of their folders'
    ``order`` field, then name)."""
    root = Path(root)
    if not root.is_dir():
        return []
    refs = [read(d) for d in sorted(root.iterdir()) if d.is_dir()]
    return sorted(refs, key=lambda r: (r.provenance.get("order", 99), r.name))


def comparable(ref: Reference, profile) -> bool:
    """True when ``ref`` ran on the same data, sizes and evaluation settings as ``profile`` (a Profile),
    differing at most in :data:`TRAINING_BUDGETS` (and the run-level name and device)."""
    def plain(d: dict) -> dict:  # tuples as lists, as in a provenance file
        return json.loads(json.dumps(d, default=list))

    there, here = plain(ref.provenance["profile"]), plain(profile.as_dict())
    for key, section in here.items():
        if not isinstance(section, dict):
            continue
        for f, v in section.items():
            if f"{key}.{f}" not in TRAINING_BUDGETS and there.get(key, {}).get(f) != v:
                return False
    return tuple(there.get("seeds", ())) == tuple(profile.seeds)


# --- saving a run -------------------------------------------------------------------------------
def registry_at(commit: str, repo: Path = REPO) -> types.SimpleNamespace:
    """The claim registry and gates as they were at ``commit`` (``aelib/claims.py`` there imports only
    the standard library, so it is executed in isolation): what a run at that commit was judged by."""
    try:
        src = subprocess.run(["git", "-C", str(repo), "show", f"{commit}:aelib/claims.py"], check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as err:
        raise ReferenceError(f"cannot read aelib/claims.py at commit {commit!r}: {err}") from None
    mod = types.ModuleType(f"claims_at_{commit[:12]}")
    sys.modules[mod.__name__] = mod  # dataclasses look the module up while building the classes
    try:
        exec(compile(src, f"claims.py@{commit[:12]}", "exec"), mod.__dict__)
    finally:
        sys.modules.pop(mod.__name__, None)
    return types.SimpleNamespace(REGISTRY=mod.REGISTRY, GATES=mod.GATES)


def _downscale(src: Path, dest: Path) -> None:
    from PIL import Image

    dest.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(src) as im:
        im = im.convert("RGB")
        if im.width > FIGURE_WIDTH:
            im = im.resize((FIGURE_WIDTH, round(im.height * FIGURE_WIDTH / im.width)), Image.LANCZOS)
        im.quantize(colors=256, method=Image.MEDIANCUT).save(dest, optimize=True)


def save(profile: str, *, home: Path, dest: Path, commit: str, started: str, finished: str, wall_s: float,
         note: str = "", order: int = 50, overrides: dict | None = None, machine: str | None = None,
         torch_version: str | None = None, shared_s: float | None = None) -> Path:
    """Save the run of ``profile`` whose state is under ``home`` (its ``$AELIB_HOME``) as reference
    ``dest``: its ledgers, its key figures and its provenance. ``commit`` is the commit the run was
    made at; the registry fingerprints are computed from ``aelib/claims.py`` at that commit. Every
    chapter's ledger must be there (a partial run is refused). ``machine`` and ``torch_version``
    default to this machine's and this interpreter's (pass them when saving a run made elsewhere)."""
    import torch

    from . import profiles, site

    home, dest = Path(home), Path(dest)
    led = home / "ledger" / profile
    chapters = sorted(KEY_FIGURES)
    missing = [c for c in chapters if not (led / f"{c}.json").is_file()]
    if missing:
        raise ReferenceError(f"the run at {home} has no ledger for {missing} at profile {profile!r}: "
                             "a reference needs every chapter")
    for c in chapters:
        ledger.read_file(led / f"{c}.json")  # damaged -> LedgerDamaged, before anything is written
    reg = registry_at(commit)
    prof = profiles.get(profile, **(overrides or {}))
    timings_path = home / "timings" / f"{profile}.json"
    timings = json.loads(timings_path.read_text()) if timings_path.is_file() else {}
    tmp = dest.with_name(f".{dest.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "ledger").mkdir(parents=True)
    for c in chapters:
        shutil.copy2(led / f"{c}.json", tmp / "ledger" / f"{c}.json")
        for name in KEY_FIGURES[c]:
            src = home / "figures" / profile / c / f"{name}.png"
            if src.is_file():
                _downscale(src, tmp / "figures" / c / f"{name}.png")
    prov = {"scale": dest.name, "order": order, "note": note, "commit": commit, "profile": prof.as_dict(),
            "overrides": overrides or {}, "torch": torch_version or torch.__version__,
            "versions": site.versions(), "machine": machine or site.machine(), "started": started,
            "finished": finished, "wall_s": wall_s, "shared_models_s": shared_s,
            "chapter_s": {c: timings.get(c, {}).get("seconds") for c in chapters},
            "registry": claims.digest(registry=reg.REGISTRY, gates=reg.GATES),
            "claims": {cid: claims.digest(cid, reg.REGISTRY, reg.GATES) for cid in reg.REGISTRY}}
    (tmp / "provenance.json").write_text(json.dumps(prov, indent=1, default=str) + "\n")
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return dest


# --- reading them beside this build ----------------------------------------------------------------
def cell(rec: dict | None, stale: bool = False) -> str:
    """One claim at one scale as HTML: the verdict, then median [range]; marked when stale."""
    if rec is None:
        return '<span class="verdict verdict-none">not measured</span>'
    value = ledger.value_text(rec)
    mark = ' <span class="scale-stale" title="judged by an older definition of this claim">(stale)</span>' \
        if stale else ""
    return f'{ledger.verdict_badge(rec["verdict"])}<br><span class="claim-median">{html.escape(value)}</span>{mark}'


def _training_words(ref: Reference, profile) -> str:
    """How a reference's training compares with this build's profile, from both profiles' fields."""
    from . import profiles

    here = profiles.get(profile) if isinstance(profile, str) else profile
    there = ref.provenance["profile"]
    try:
        mult = there["train"]["steps"] / here.train.steps
    except (KeyError, TypeError, ZeroDivisionError):
        return ""
    same_data = (there.get("data", {}).get("image_size") == here.data.image_size
                 and there.get("unet", {}).get("base") == here.unet.base)
    return f"{mult:g}x the training steps" + (", same data and sizes" if same_data else
                                               f", {there.get('data', {}).get('image_size')}px images")


def _changes(here: dict[str, dict], r: Reference) -> str:
    """How many of the claims compared (measured in both, by today's definitions) change verdict at
    reference ``r``, and which, in words."""
    compared = [c for c in claims.REGISTRY if c in here and r.compares(c)]
    if not compared:
        return "No claim was judged there by today's definitions, so none is compared."
    changed = [c for c in compared if here[c]["verdict"] != r.records[c]["verdict"]]
    if not changed:
        return f"All {len(compared)} claims compared have the same verdict as in this build."
    which = "; ".join(f"{c} {here[c]['verdict']} here, {r.records[c]['verdict']} there" for c in changed)
    return f"{len(changed)} of the {len(compared)} claims compared change verdict: {which}."


def scales_markdown(profile: str, refs: list[Reference] | None = None) -> str:
    """The first page's table: one row per claim, one column for this build and one per reference
    (its date), each cell the verdict and median [range]; then each reference's provenance in short."""
    refs = load_all() if refs is None else refs
    here = {r["id"]: r for r in ledger.load(profile)}
    if not refs:
        return "No reference run at another scale is committed yet (`benchmarks/reference/scales/`).\n"
    esc = html.escape
    head = [f"<th>this build ({esc(profile)})</th>"] + [
        f"<th>{esc(r.label)}{' (stale)' if r.stale else ''}</th>" for r in refs]
    lines = ['<div class="claims-wrap"><table class="claims-table scales-table">',
             f"<thead><tr><th>claim</th>{''.join(head)}</tr></thead>", "<tbody>"]
    for cid in claims.REGISTRY:
        cells = [f'<td data-label="this build ({esc(profile)})">{cell(here.get(cid))}</td>']
        cells += [f'<td data-label="{esc(r.label)}">{cell(r.records.get(cid), r.stale_claim(cid))}</td>'
                  for r in refs]
        lines.append(f'<tr class="claim-row"><td class="claim-what" data-label="claim">{ledger.claim_link(cid)} '
                     f'<span class="claim-statement">{esc(claims.REGISTRY[cid].statement)}</span></td>'
                     + "".join(cells) + "</tr>")
    lines += ["</tbody></table></div>", ""]
    for r in refs:
        p = r.provenance
        mins = float(p["wall_s"]) / 60
        lines.append(f"- **{r.label}**: {esc(p.get('note', ''))} ({_training_words(r, profile)}). "
                     f"{_changes(here, r)} Commit "
                     f"`{str(p['commit'])[:10]}`, torch {p['torch']}, {esc(p['machine'])}; ran "
                     f"{p['started']} to {p['finished']}, {mins:.0f} min wall."
                     + (" **Stale**: the claim registry changed since this run; cells marked stale were "
                        "judged by an older definition." if r.stale else ""))
    return "\n".join(lines) + "\n"


def figures_markdown(profile: str, figure_root: Path, book_dir: Path, refs: list[Reference] | None = None) -> str:
    """For each chapter, its key figures from this build (``figure_root``: the build's figures folder
    of ``profile``) beside each reference's, copied under ``<book_dir>/_generated/scales`` (inside the
    book, so Sphinx can show them); as MyST for a page at the book's top level: one folded section per
    chapter, one captioned figure per scale."""
    refs = load_all() if refs is None else refs
    out_dir = Path(book_dir) / "_generated" / "scales"
    shutil.rmtree(out_dir, ignore_errors=True)
    lines = []
    for chapter, figs in KEY_FIGURES.items():
        blocks = []
        for name in figs:
            shown = []
            src = Path(figure_root) / chapter / f"{name}.png"
            if src.is_file():
                shown.append((f"this build ({profile})", src))
            shown += [(f"{r.label}", r.figure(chapter, name)) for r in refs if r.figure(chapter, name)]
            if len(shown) < 2:
                continue
            blocks += ["::::{grid} 1 1 2 2", ""]
            for who, path in shown:
                scale = who.split(",")[0].split(" (")[0].replace(" ", "_")
                dest = out_dir / scale / chapter / f"{name}.png"
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)
                rel = dest.relative_to(Path(book_dir)).as_posix()
                words = name.replace("fig_", "").replace("_", " ")
                blocks += [":::{grid-item}", f"```{{figure}} {rel}",
                           f":alt: Chapter {chapter[:2]}'s figure {words}, {who}.",
                           "", f"Chapter {chapter[:2]}, *{words}*: {who}.", "```", ":::", ""]
            blocks += ["::::", ""]
        if blocks:
            title = chapter.split("_", 1)[1].replace("_", " ")
            lines += [f":::::{{dropdown}} Chapter {chapter[:2]} ({title}): key figures at each scale", ""]
            lines += blocks + [":::::", ""]
    return "\n".join(lines) if lines else "No reference figures are committed yet.\n"


def _is(v: str) -> str:
    """A verdict as the verb of a sentence: 'holds', 'does not hold', 'is inconclusive'."""
    return "is inconclusive" if v == verdict.INCONCLUSIVE else v


def _why(here: dict, there: dict, label: str, here_label: str) -> str:
    """Why two verdicts of one claim differ, from their records: the deciding reason of the open
    one(s), and the value's move relative to the threshold."""
    parts = _gate_turns(here, there, label, here_label)
    if not parts:  # no gate changed its outcome: the open verdicts' own reasons say why
        for rec, who in ((here, here_label), (there, label)):
            if rec["verdict"] == verdict.INCONCLUSIVE and rec.get("reason"):
                parts.append(f"{who} it is open because {rec['reason']}")
    lim = claims.get(here["id"]).test()
    a, b = ledger.fmt_value(here.get("median")), ledger.fmt_value(there.get("median"))
    moved = f"the median moved from {a} ({here_label}) to {b} ({label}) against the threshold {lim.text()}"
    return "; ".join(parts + [moved])


def _gate_turns(here: dict, there: dict, label: str, here_label: str) -> list[str]:
    """The gates that passed at one scale and failed at the other (same gate, same subject), in words:
    most often 'trained to rule', when a model that looked converged at the shorter training was
    still improving at the longer one."""
    def by_key(rec):
        return {(g["name"], g.get("subject")): g for g in rec.get("gates", [])}

    a, b = by_key(here), by_key(there)
    out = []
    for key in a.keys() & b.keys():
        ga, gb = a[key], b[key]
        if ga.get("passed") == gb.get("passed"):
            continue
        name, subject = key
        ok, bad = (here_label, label) if ga.get("passed") else (label, here_label)
        v_ok, v_bad = (ga, gb) if ga.get("passed") else (gb, ga)
        who = names.readable(str(subject))
        text = (f"gate '{name}' for the {who} passed {ok} ({ledger.fmt_value(v_ok.get('value'))}) but failed {bad} "
                f"({ledger.fmt_value(v_bad.get('value'))}, needs {v_bad.get('limit', '')})")
        if name == "trained to rule":
            text += (" : the model was still improving with more training, so a verdict decided on the shorter "
                     "run rests on a plateau that the longer run broke" if ok == here_label else
                     ": the model had stopped improving only with the longer training")
        out.append(text.replace(" : ", ": "))
    return sorted(out)


def differences(chapter: str, records: dict[str, dict], refs: list[Reference] | None = None,
                here_label: str = "this build") -> list[dict]:
    """The claims of ``chapter`` whose verdict in ``records`` (this build's, by id) differs at a
    reference scale judged by today's definition: ``{"id", "scale", "here", "there", "why"}``."""
    refs = load_all() if refs is None else refs
    out = []
    for c in claims.for_chapter(chapter):
        here = records.get(c.id)
        for r in refs:
            there = r.records.get(c.id)
            if here is None or not r.compares(c.id) or here["verdict"] == there["verdict"]:
                continue
            out.append({"id": c.id, "scale": r.label, "here": here["verdict"], "there": there["verdict"],
                        "why": _why(here, there, f"at {r.name}", here_label)})
    return out


def chapter_text(chapter: str, records: dict[str, dict], profile: str, refs: list[Reference] | None = None) -> str:
    """What a chapter says about its claims at the other scales: which verdicts differ, which way and
    why (from the records); or that none does. Glued into each chapter's last section."""
    refs = load_all() if refs is None else refs
    ids = [c.id for c in claims.for_chapter(chapter) if c.id in records]
    usable = [r for r in refs if any(r.compares(cid) for cid in ids)]
    if not ids:
        return "This chapter decides no claim."
    if not usable:
        return ("No reference run at another scale judged these claims by their current definitions, so "
                "this build's verdicts stand alone.")
    here_label = f"at {profile}"
    diffs = differences(chapter, records, usable, here_label)
    names = ", ".join(f"{r.name} ({_training_words(r, profile)})" for r in usable)
    compared = [cid for cid in ids if any(r.compares(cid) for r in usable)]
    left = [cid for cid in ids if cid not in compared]
    tail = ""
    if left:
        one = len(left) == 1
        tail = (f" {', '.join(left)} {'was' if one else 'were'} judged there by an older definition and "
                f"{'is' if one else 'are'} not compared.")
    if not diffs:
        return (f"Every claim of this chapter compared ({', '.join(compared)}) has the same verdict at {names} as in "
                "this build: the longer training changes none of these verdicts." + tail)
    lines = [f"{d['id']} {_is(d['here'])} {here_label} but {_is(d['there'])} at {d['scale'].split(',')[0]}: "
             f"{d['why']}." for d in diffs]
    same = [cid for cid in compared if cid not in {d["id"] for d in diffs}]
    if same:
        tail = f" The other claims compared ({', '.join(same)}) have the same verdict at both." + tail
    return " ".join(lines) + tail


BENCHMARK = REPO / "benchmarks" / "reference" / "h100-paper.json"


def paper_cost_markdown(bench: Path = BENCHMARK) -> str:
    """The expected cost of each shared model at the ``paper`` profile on one GPU, from the measured
    throughput of the book's trainer at paper sizes (``benchmarks/bench.py --profile paper``): a
    markdown table for the page on running the book."""
    from . import profiles

    try:
        b = json.loads(Path(bench).read_text())
    except (OSError, ValueError):
        return "No paper-size GPU benchmark is committed (`benchmarks/reference/h100-paper.json`).\n"
    prof = profiles.get("paper")
    steps = {"fc": prof.fc.steps, "unet": prof.train.steps, "unet_skips": prof.train.steps,
             "unet_hidden": prof.train.steps}
    gpu = b.get("machine", {}).get("gpu", "a GPU")
    lines = [f"Measured with the book's trainer on one {gpu} (bf16 autocast, batch {prof.train.batch_size}; "
             f"`{Path(bench).relative_to(REPO).as_posix() if Path(bench).is_relative_to(REPO) else bench}`):", "",
             "| model | parameters | images / s | steps at `paper` | training FLOPs | hours on one GPU |",
             "|---|---|---|---|---|---|"]
    total = 0.0
    for t in b.get("training", []):
        n = steps.get(t["model"])
        if n is None:
            continue
        hours = n * prof.train.batch_size / t["img/s (book)"] / 3600
        total += hours
        lines.append(f"| `{t['model']}` | {t['params'] / 1e6:.1f} M | {t['img/s (book)']:,.0f} | {n:,} | "
                     f"{t['GFLOP/step'] * 1e9 * n:.1e} | {hours:.1f} |")
    k = len(prof.seeds)
    lines += ["", f"With {k} seeds these shared models alone take about {total * k:.0f} GPU-hours on one such GPU "
              f"({total:.1f} per seed), before the U-Net's longer runs (`walk.train_mults`) and the chapters' own "
              "models."]
    return "\n".join(lines) + "\n"


# --- command line ------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m aelib.reference",
                                 description="Save a finished run of the book at another scale as a reference.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("save", help="save the run under --home as benchmarks/reference/scales/<name>")
    s.add_argument("--profile", required=True)
    s.add_argument("--home", required=True, help="the run's AELIB_HOME")
    s.add_argument("--name", help="the reference's name (default: the profile's)")
    s.add_argument("--commit", required=True, help="the commit the run was made at")
    s.add_argument("--started", required=True)
    s.add_argument("--finished", required=True)
    s.add_argument("--wall-s", type=float, required=True)
    s.add_argument("--shared-s", type=float)
    s.add_argument("--note", default="")
    s.add_argument("--order", type=int, default=50)
    args = ap.parse_args(argv)
    try:
        dest = save(args.profile, home=Path(args.home), dest=ROOT / (args.name or args.profile), commit=args.commit,
                    started=args.started, finished=args.finished, wall_s=args.wall_s, note=args.note,
                    order=args.order, shared_s=args.shared_s)
    except (ReferenceError, ledger.LedgerDamaged) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"saved {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
