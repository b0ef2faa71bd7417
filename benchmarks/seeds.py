"""What trains several seeds of one model fastest on this machine?

    .venv/bin/python benchmarks/seeds.py [--steps 200] [--seeds 3] [--repeats 3]

Side by side in one run, for the cpu-profile no-skip U-Net and FC autoencoder, the wall time to
train ``--seeds`` seeds for ``--steps`` steps each with the book's trainer:

- ``sequential-2t``: one process with 2 threads, one seed after another;
- ``parallel-1t``: two single-thread processes side by side, seeds dealt out between them;
- ``vmap``: the seeds stacked into one model with ``torch.func`` (``stack_module_state`` +
  ``vmap`` over ``functional_call``), one process with 2 threads. BatchNorm's running statistics
  cannot be updated inside ``vmap``, so the stacked U-Net runs with them switched off (the book
  needs them for its eval-mode numbers: this arm measures speed only).

Prints medians over ``--repeats`` and writes JSON to ``benchmarks/results/``. The winner is what
``python -m aelib run`` uses (:func:`aelib.execute.pretrain`).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _setup(kind: str):
    from aelib import chapter

    ch = chapter.Chapter("bench", "cpu", record=False)
    cfg = ch.shared_config(kind)
    d = ch.data_at(cfg.image_size)
    return ch, cfg, d


def train_one(kind: str, seed: int, steps: int) -> float:
    """Train one seed with the book's trainer (no cache, no checkpoints); seconds."""
    from aelib.models import build
    from aelib.seeding import set_seed
    from aelib.training import train

    ch, cfg, d = _setup(kind)
    set_seed(seed)
    model = build(cfg)
    t0 = time.perf_counter()
    train(model, d.train, ch.train_config(steps=steps, seed=seed), None)
    return time.perf_counter() - t0


def train_vmap(kind: str, seeds: int, steps: int) -> float:
    """All seeds as one stacked model under vmap; seconds for ``steps`` steps."""
    from torch.func import functional_call, stack_module_state, vmap

    from aelib.models import build

    ch, cfg, d = _setup(kind)
    models = []
    for s in range(seeds):
        torch.manual_seed(s)
        m = build(cfg)
        for mod in m.modules():
            if isinstance(mod, torch.nn.modules.batchnorm._BatchNorm):
                mod.track_running_stats = False
                mod.running_mean = mod.running_var = None
        models.append(m)
    params, buffers = stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")
    opt = torch.optim.Adam(list(params.values()), lr=ch.profile.train.lr)

    def loss_one(p, b, a):
        return torch.nn.functional.mse_loss(functional_call(base, (p, b), (a,)), a)

    batched = vmap(loss_one, in_dims=(0, 0, 0))
    n, bs = len(d.train), ch.profile.train.batch_size
    gens = [torch.Generator().manual_seed(s) for s in range(seeds)]
    t0 = time.perf_counter()
    for _ in range(steps):
        idx = torch.stack([torch.randint(0, n, (bs,), generator=g) for g in gens])
        a = d.train[idx.flatten()].float().div(255).view(seeds, bs, *d.train.shape[1:])
        loss = batched(params, buffers, a).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


def _child(argv: list[str], threads: int) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), AELIB_THREADS=str(threads), AELIB_PROGRESS="0")
    return subprocess.Popen([sys.executable, __file__, "--child", *argv], env=env, stdout=subprocess.PIPE, text=True)


def run_arm(arm: str, kind: str, seeds: int, steps: int) -> float:
    t0 = time.perf_counter()
    if arm == "sequential-2t":
        p = _child(["train", kind, ",".join(map(str, range(seeds))), str(steps)], 2)
        p.communicate()
    elif arm == "parallel-1t":
        halves = [list(range(seeds))[i::2] for i in range(2)]
        procs = [_child(["train", kind, ",".join(map(str, h)), str(steps)], 1) for h in halves if h]
        for p in procs:
            p.communicate()
    elif arm == "vmap":
        p = _child(["vmap", kind, str(seeds), str(steps)], 2)
        p.communicate()
    return time.perf_counter() - t0


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        what, kind = sys.argv[2], sys.argv[3]
        torch.set_num_threads(int(os.environ.get("AELIB_THREADS", "1")))
        if what == "train":
            for s in sys.argv[4].split(","):
                train_one(kind, int(s), int(sys.argv[5]))
        else:
            train_vmap(kind, int(sys.argv[4]), int(sys.argv[5]))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--models", default="unet,fc")
    args = ap.parse_args()
    arms = ("sequential-2t", "parallel-1t", "vmap")
    results = {}
    for kind in args.models.split(","):
        times = {a: [] for a in arms}
        for _ in range(args.repeats):
            for a in arms:  # interleaved, so that drifts of the machine hit every arm alike
                times[a].append(run_arm(a, kind, args.seeds, args.steps))
        med = {a: statistics.median(v) for a, v in times.items()}
        results[kind] = {"seconds": times, "median": med,
                         "speedup_vs_sequential": {a: med["sequential-2t"] / med[a] for a in arms}}
        print(f"{kind}: {args.seeds} seeds x {args.steps} steps, median of {args.repeats} (s): "
              + ", ".join(f"{a} {med[a]:.1f} ({med['sequential-2t'] / med[a]:.2f}x)" for a in arms))
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"seeds-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps({"args": vars(args), "torch": torch.__version__, "cores": os.cpu_count(),
                                "results": results}, indent=1))
    print(f"written {path}")


if __name__ == "__main__":
    main()
