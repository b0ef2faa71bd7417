"""Train the book's models ahead of the chapters, on one or several processes (GPUs or CPUs).

    python -m aelib.train --profile paper --model unet                     # one GPU
    torchrun --nproc_per_node=4 -m aelib.train --profile paper --model unet  # four GPUs (DDP)
    torchrun --nproc_per_node=2 -m aelib.train --profile smoke --model unet  # two CPU processes (gloo)

Each model is trained into the shared cache under the same name and configuration that the
chapters ask for (:data:`MODELS`), so a chapter executed afterwards at that profile loads it
instead of training. A run that is killed resumes from its last checkpoint when the same command
is given again. ``--model all`` trains every model the chapters share.
"""

from __future__ import annotations

import argparse
import sys
import time

from . import chapter, distributed, paths, profiles
from .data import DataError

MODELS = chapter.SHARED  # the models several chapters share, spelled once


def main(argv: list[str] | None = None) -> int:
    paths.absolutize_env()  # a relative AELIB_DATA / AELIB_HOME means: relative to where the command was typed
    ap = argparse.ArgumentParser(prog="python -m aelib.train", description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", default="paper", help=f"one of {', '.join(profiles.PROFILES)}")
    ap.add_argument("--model", default="unet", help=f"one of {', '.join(MODELS)}, or 'all'")
    ap.add_argument("--steps", type=int, default=None, help="cap on optimiser steps (default: the profile's); "
                    "training stops earlier when the stopping rule's plateau is reached")
    ap.add_argument("--seed", type=int, action="append", default=None,
                    help="seed to train (repeatable; default: every seed of the profile)")
    ap.add_argument("--dataset", default=None, help="photos, folder, lsun or cifar10 (default: the profile's)")
    ap.add_argument("--data", default=None, help="path of a folder / LSUN .npy or lmdb / CIFAR root "
                    "(default: $AELIB_DATA)")
    args = ap.parse_args(argv)
    try:
        overrides = {k: v for k, v in (("data.dataset", args.dataset), ("data.path", args.data)) if v is not None}
        profiles.threads_from_env()
        prof = profiles.get(args.profile, **overrides)  # AELIB_DATA applies to the dataset after --dataset
        profiles.check_data(prof)
        names = list(MODELS) if args.model == "all" else [args.model]
        unknown = [n for n in names if n not in MODELS]
        if unknown:
            raise ValueError(f"unknown model {unknown[0]!r}; choose one of {', '.join(MODELS)} or 'all'")
        if args.steps is not None and args.steps < 0:
            raise ValueError(f"--steps must not be negative, got {args.steps}")
    except (profiles.ProfileError, ValueError) as err:
        print(f"[aelib.train] error: {err}", file=sys.stderr)
        return 2
    d = distributed.from_env(prefer_cuda=prof.device == "cuda")
    if d.is_main:
        print(f"[aelib.train] profile {prof.name}, data {prof.data.dataset} {prof.data.path or ''}, "
              f"{d.world} process(es), device {d.device}", file=sys.stderr)
    ch = chapter.Chapter("train", prof, record=False)
    ch.device = d.device
    try:
        for seed in (args.seed or prof.seeds):
            for name in names:
                cap = args.steps if args.steps is not None else ch.shared_steps(name)
                t0 = time.perf_counter()
                rule = ch.train_rule(name, ch.shared_config(name), seed, cap=cap)
                run = rule.trained
                if d.is_main:
                    print(f"[aelib.train] {name} seed {seed}: {rule.steps} of at most {cap} steps ({rule.reason}; "
                          f"held-out error {rule.curve[-1][1]:.4f}), {time.perf_counter() - t0:.1f} s, "
                          f"{d.world} process(es) on {d.device}; final loss "
                          f"{run.losses[-1] if run.losses else float('nan'):.5f}; {run.folder}", file=sys.stderr)
    except DataError as err:
        print(f"[aelib.train] data error: {err}", file=sys.stderr)
        return 2
    finally:
        distributed.teardown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
