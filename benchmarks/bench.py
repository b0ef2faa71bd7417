"""The book's performance benchmark: one command, one table, one JSON file.

    python benchmarks/bench.py                    # cpu-profile sizes on this machine
    python benchmarks/bench.py --profile paper    # on a GPU: paper sizes, bf16 autocast (+compile)

Measures, in one process, side by side:

- the machine's fp32 matmul peak (GFLOP/s) with torch on the same threads;
- for each model the book trains, at the profile's size: training images/s and achieved
  GFLOP/s of the book's trainer (FLOPs counted with ``torch.utils.flop_counter``), the fraction of
  the matmul peak, and the ratio to a plain eager loop written the obvious way (a DataLoader over
  float tensors, default memory format) on the same model and data;
- input representation: batched vs one image at a time, same targets and steps;
- samplers: network evaluations per second (walk, and denoise-and-renoise when present);
- the book: wall time per chapter at the profile, from the executed notebooks' records.

Targets (figures to report, not tests): training >= 75% of the matmul peak and >= 1.5x the plain
loop for the U-Nets; batched representation >= 5x the per-image loop; whole book at cpu <= 20 min
cold, <= 60 s warm.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aelib import cache, data, models, profiles, training  # noqa: E402
from aelib.representation import RepresentationConfig, represent  # noqa: E402


def timed(fn, repeat: int = 3) -> float:
    """Median wall seconds of ``fn()`` over ``repeat`` runs (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def matmul_peak(device: str, n: int = 2048, dtype=torch.float32) -> float:
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)

    def run():
        for _ in range(10):
            a @ b
        sync(device)
    return 10 * 2 * n ** 3 / timed(run) / 1e9


def train_flops(model, batch: torch.Tensor) -> float:
    """FLOPs of one training step (forward + backward) on ``batch``."""
    with FlopCounterMode(display=False) as counter:
        F.mse_loss(model(batch), batch).backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops()


def plain_loop(model, images_u8: torch.Tensor, batch_size: int, steps: int, lr: float, device: str):
    """The obvious eager PyTorch loop: fresh float tensors from a DataLoader, default memory format."""
    ds = torch.utils.data.TensorDataset(images_u8.float() / 255)
    loader = torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=True, drop_last=True)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    done = 0
    while done < steps:
        for (x,) in loader:
            x = x.to(device)
            opt.zero_grad()
            loss = F.mse_loss(model(x), x)
            loss.backward()
            opt.step()
            done += 1
            if done >= steps:
                break
    sync(device)


def bench_training(prof, ds_by_size, device: str, steps: int, compile_model: bool = False) -> list[dict]:
    rows = []
    specs = {
        "fc": models.ModelConfig.of("fc", image_size=prof.fc.image_size, width=prof.fc.width,
                                    n_hidden=prof.fc.n_hidden),
        "unet": models.ModelConfig.of("unet", image_size=prof.data.image_size, base=prof.unet.base,
                                      depth=prof.unet.depth),
        "unet_skips": models.ModelConfig.of("unet", image_size=prof.data.image_size, base=prof.unet.base,
                                            depth=prof.unet.depth, skips="concat"),
        "unet_hidden": models.ModelConfig.of("unet", image_size=prof.data.image_size, base=prof.unet.base,
                                             depth=prof.unet.depth, hidden_mlp=prof.unet.hidden_mlp),
    }
    for name, cfg in specs.items():
        imgs = ds_by_size[cfg.image_size].train
        tc = training.TrainConfig(steps=steps, batch_size=prof.train.batch_size, lr=prof.train.lr,
                                  checkpoint_every=10 ** 9)
        torch.manual_seed(0)
        m = models.build(cfg).to(device)
        flops = train_flops(m, imgs[:prof.train.batch_size].to(device).float() / 255)

        def book(cfg=cfg, imgs=imgs, tc=tc):  # bound now, though called within this iteration
            torch.manual_seed(0)
            training.train(models.build(cfg), imgs, tc, device=device, compile_model=compile_model)
            sync(device)

        def plain(cfg=cfg, imgs=imgs):
            torch.manual_seed(0)
            plain_loop(models.build(cfg).to(device), imgs, prof.train.batch_size, steps, prof.train.lr, device)

        t_book, t_plain = timed(book, 3), timed(plain, 3)
        ips_book, ips_plain = steps * prof.train.batch_size / t_book, steps * prof.train.batch_size / t_plain
        rows.append({"model": name, "params": models.n_params(m), "GFLOP/step": flops / 1e9,
                     "img/s (book)": ips_book, "img/s (plain)": ips_plain, "speedup vs plain": ips_book / ips_plain,
                     "GFLOP/s (book)": flops * steps / t_book / 1e9})
    return rows


def bench_representation(prof, ds, device: str) -> dict:
    cfg = models.ModelConfig.of("unet", image_size=prof.data.image_size, base=prof.unet.base, depth=prof.unet.depth)
    torch.manual_seed(0)
    m = models.build(cfg).to(device).train()
    targets = ds.eval_batch(prof.rep.targets, device)
    rc = RepresentationConfig(steps=20)
    t_batched = timed(lambda: represent(m, targets, rc), 3)
    t_single = timed(lambda: [represent(m, targets[i:i + 1], rc) for i in range(len(targets))], 1)
    return {"targets": len(targets), "steps": rc.steps, "batched s": t_batched, "one-at-a-time s": t_single,
            "speedup": t_single / t_batched}


def bench_samplers(prof, ds, device: str) -> list[dict]:
    out = []
    cfg = models.ModelConfig.of("unet", image_size=prof.data.image_size, base=prof.unet.base, depth=prof.unet.depth)
    torch.manual_seed(0)
    m = models.build(cfg).to(device).train()
    a = ds.eval_batch(16, device)
    try:
        from aelib.walk import WalkConfig, walk

        wc = WalkConfig(steps=20, eps=0.2)
        t = timed(lambda: walk(m, a, wc), 3)
        out.append({"sampler": "manifold walk (E + D per step)", "batch": len(a), "evals/s": wc.steps * len(a) / t})
    except Exception as err:  # noqa: BLE001 - a sampler missing from this checkout is reported, not fatal
        out.append({"sampler": "manifold walk", "error": str(err)})
    try:
        from aelib import sampler as smp

        sc = smp.SamplerConfig(steps=20, n_samples=16, batch_size=16, frame_every=20)
        t = timed(lambda: smp.sample(m, (3, prof.data.image_size, prof.data.image_size), sc, device=device), 3)
        out.append({"sampler": "denoise-and-renoise (O per step)", "batch": 16,
                    "evals/s": (sc.steps + 1) * sc.n_samples / t})
    except Exception as err:  # noqa: BLE001
        out.append({"sampler": "denoise-and-renoise", "error": str(err)})
    return out


def book_timings(profile: str) -> dict:
    p = cache.home() / "timings" / f"{profile}.json"
    return json.loads(p.read_text()) if p.exists() else {}


def table(rows: list[dict]) -> str:
    if not rows:
        return "(none)"
    keys = list(dict.fromkeys(k for r in rows for k in r))
    fmt = lambda v: f"{v:.3g}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = [" | ".join(keys), " | ".join("---" for _ in keys)]
    lines += [" | ".join(fmt(r.get(k, "")) for k in keys) for r in rows]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", default="cpu")
    ap.add_argument("--steps", type=int, default=30, help="training steps per timed run")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    ap.add_argument("--compile", action="store_true", help="train through torch.compile (compile time included)")
    args = ap.parse_args(argv)
    prof = profiles.get(args.profile)
    device = "cuda" if (prof.device == "cuda" and torch.cuda.is_available()) else "cpu"
    if prof.data.dataset != "photos":  # paper scale without the user's data: same model sizes on the shipped photos
        prof = prof.with_overrides(**{"data.dataset": "photos"})
    ds_by_size = {s: data.load(prof.with_overrides(**{"data.image_size": s}))
                  for s in {prof.data.image_size, prof.fc.image_size}}
    res = {
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "torch": torch.__version__,
                    "threads": torch.get_num_threads(), "device": device,
                    "gpu": torch.cuda.get_device_name(0) if device == "cuda" else None},
        "profile": args.profile,
        "matmul_peak_gflops": matmul_peak(device),
        "compile": args.compile,
    }
    if device == "cuda":
        res["bf16_matmul_peak_gflops"] = matmul_peak(device, 8192, torch.bfloat16)
    res["training"] = bench_training(prof, ds_by_size, device, args.steps, args.compile)
    for r in res["training"]:
        r["% of matmul peak"] = 100 * r["GFLOP/s (book)"] / res["matmul_peak_gflops"]
        if "bf16_matmul_peak_gflops" in res:
            r["% of bf16 peak"] = 100 * r["GFLOP/s (book)"] / res["bf16_matmul_peak_gflops"]
    res["representation"] = bench_representation(prof, ds_by_size[prof.data.image_size], device)
    res["samplers"] = bench_samplers(prof, ds_by_size[prof.data.image_size], device)
    res["book"] = book_timings(args.profile)
    print(f"# benchmark, profile {args.profile}, {res['machine']['device']}, torch {torch.__version__}, "
          f"{res['machine']['threads']} threads")
    print(f"\nfp32 matmul peak: {res['matmul_peak_gflops']:.0f} GFLOP/s")
    if "bf16_matmul_peak_gflops" in res:
        print(f"bf16 matmul peak: {res['bf16_matmul_peak_gflops']:.0f} GFLOP/s (training uses bf16 autocast on GPUs)")
    print()
    print("## training (median of 3 runs of", args.steps, "steps)\n" + table(res["training"]))
    print("\n## input representation\n" + table([res["representation"]]))
    print("\n## samplers\n" + table(res["samplers"]))
    print("\n## book chapters (last execution)\n" + table([{"chapter": k, **v} for k, v in res["book"].items()]))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"bench-{args.profile}-{device}{'-compile' if args.compile else ''}.json"
    path.write_text(json.dumps(res, indent=1))
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
