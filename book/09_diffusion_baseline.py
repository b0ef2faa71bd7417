# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# (diffusion-baseline)=
# # A diffusion model at the same cost
#
# Chapter {ref}`diffusion` turned an autoencoder that was only ever trained to copy into a
# sampler: start from noise, let the model clean it up, mix its output with a little less fresh
# noise, repeat. Whether those samples are any good was measured there against real photos and
# against pure noise, but not against the obvious competitor: a diffusion model in the ordinary
# sense, trained for the job on the same data with the same network and the same budget. That
# comparison is not in the essay; it is question X6 of this book.
#
# **The standard recipe.** Ho, Jain and Abbeel (2020) define a fixed forward process that adds
# Gaussian noise over $T = 1000$ small steps, so that a clean image $x_0$ becomes, at level $t$,
# $x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1 - \bar\alpha_t}\,\varepsilon$ with
# $\varepsilon \sim \mathcal N(0, I)$ and $\bar\alpha_t$ falling from nearly 1 to nearly 0. A
# network $\varepsilon_\theta(x_t, t)$ that is *told the level* $t$ is trained to name the noise
# that was added, with a plain squared error; a sample is drawn by running the process backwards
# from pure noise, one network call per level. Song, Meng and Ermon (2021, DDIM) showed that the
# same trained network can be sampled deterministically along a short subsequence of the levels,
# so that tens of calls instead of a thousand give usable images. This chapter trains such a
# model ("DDPM" below) and samples it with DDIM.
#
# **The essay's sampler and its relatives.** The essay's model has no noise-level input and never
# saw Gaussian noise during training; the sampler relies on its tendency to pull any input
# towards the images it was trained on. Kadkhodaie and Simoncelli (2021) sample with a denoiser
# that is likewise *blind* to the noise level, in a coarse-to-fine ascent that injects less and
# less noise, which is the closest published method; their denoiser, unlike the essay's, was
# trained to denoise. Cold Diffusion (Bansal et al., 2022) showed that the degradation being
# reversed need not be Gaussian noise at all. The question here is narrower and practical: at
# matched training compute, how far is the copy-trained model with its simple loop from the
# standard method?
#
# **What is held fixed.** The backbone (the no-skip U-Net of the earlier chapters), the training
# images and their order, the number of optimiser steps, the batch size, the learning rate and
# the optimiser; the two samplers get the same number of network calls per sample (give or take
# one) and draw the same number of samples. Only what the network is trained to do (copy, or predict noise at a
# given level) and how it is sampled differ.

# %% tags=["parameters"]
PROFILE = "cpu"

# %%
import time

import matplotlib.pyplot as plt
import pandas as pd
import torch

import aelib.chapter
from aelib import compute, diffusion, figures, metrics, models
from aelib.sampler import SamplerConfig, sample

ch = aelib.chapter.start("09_diffusion_baseline", PROFILE)
P = ch.profile
print(ch.data.describe())

# %% [markdown]
# ## Thresholds, fixed before the first run
#
# "SW" is the sliced Wasserstein distance between 7×7 patches of the Laplacian pyramids of two
# image sets (Karras et al., 2018; chapter {ref}`denoising`), here from a set of samples to *all*
# held-out images, averaged over the pyramid levels and over `ddpm_sw_repeats` seeds (patch draws
# and projections). Lower is closer to real photos. The same distance from a random set of
# *training* images to the held-out ones is the floor that real photos reach.
#
# | claim | value | holds when |
# |---|---|---|
# | X6 | SW(essay's sampler, $N = 200$) / SW(DDIM, 200 steps), both to held-out images | $\le 1.25$ |
#
# Why this. The essay presents its sampler as a cheap way to generate with a model that was never
# trained to generate; the fair question is whether it is *competitive* with the standard method,
# not whether it beats it. We call it competitive if, at the same training budget and about the
# same number of network calls per sample (201 against 200), its samples are no more than 25 %
# farther from the held-out images than the baseline's. A value below 1 means the essay's sampler
# is the closer of the two. The comparison at 30 calls, the nearest-training-image distances (is a
# sampler copying the training set?), the spread of the samples (is it producing one image over
# and over?), and the wall time per sample are reported beside the verdict and are not part of it.
# The spread of the SW over seeds is reported as the measurement's own noise.

# %%
X6_FACTOR = 1.25
X6_THRESHOLD = f"<= {X6_FACTOR:g}"
STEPS = tuple(P.ddpm_steps)        # (30, 200) at the cpu and paper profiles
N_X6 = max(STEPS)

# %% [markdown]
# ## The models
#
# **The essay's model** is the no-skip U-Net of chapter {ref}`diffusion`, with batch norm kept in
# train mode and trained to copy (mean squared error between $O(a)$ and $a$), loaded from the
# shared cache. **The baseline** is the same U-Net (`aelib.diffusion.TimeUNet`, a subclass of
# the book's `UNet` with the same convolutions, down and up blocks) with one addition: the
# noise level $t$ is encoded by sinusoids, passed through a small MLP, and added as a bias per
# channel after the input block, after every down block and after every up block. Images are
# mapped from $[0, 1]$ to $x_0 = 2a - 1$; each training step draws a level $t$ uniformly from
# $\{0, \dots, 999\}$ and noise $\varepsilon$ for every image and minimises
# $\lVert \varepsilon_\theta(x_t, t) - \varepsilon \rVert^2$. The forward process (linear
# $\beta_t$ from $10^{-4}$ to $0.02$, $T = 1000$, as in Ho et al.) and the DDIM sampler
# ($\eta = 0$, the predicted $x_0$ clipped to $[-1, 1]$) are diffusers' `DDPMScheduler` and
# `DDIMScheduler`, built from these numbers; nothing is downloaded. The noise of each training
# step is drawn from a generator seeded by the step, so the run resumes exactly like every other
# model of the book.
#
# **A control, added after the first run.** In the first run of this chapter at the `cpu` profile
# the baseline's training loss stayed close to the value of a network that always answers zero
# (the next sections give the current run's numbers and the reason). So a third model was added: the same network and
# forward process trained to predict the clean image instead of the noise,
# $\lVert x_{0,\theta}(x_t, t) - x_0 \rVert^2$ (Ho et al. discuss this parameterisation too;
# diffusers' DDIM accepts either). It is reported beside the baseline and enters no verdict: X6's
# definition and threshold are those fixed above.
#
# **Normalisation.** Both diffusion models have **no batch norm**: every batch norm of the
# backbone is removed and the convolutions get biases, as in the no-batch-norm U-Net of chapter
# {ref}`batchnorm`. A diffusion training batch mixes all noise levels, from almost clean to pure
# noise; train-mode batch statistics would then depend on which levels happened to be drawn
# together, and at sampling time every image of a batch sits at the *same* level, a different
# mix from anything seen in training. Evaluation-mode running statistics would average over
# all levels and fit none. Standard diffusion U-Nets use group norm, which normalises each image
# on its own; adding it would change the backbone, so the diffusion models do without
# normalisation and get the level from the time embedding. They are sampled in evaluation mode
# (which, with no batch norm, changes nothing), so a sample does not depend on which other chains
# share its batch.
#
# **Budget.** Every model is trained for `steps` optimiser steps of `batch_size` images with
# Adam at the profile's learning rate and seed. The trainer's data order depends only on the seed,
# so all three see exactly the same batches in the same order.

# %%
B = P.batch_size
shape = tuple(ch.data.train.shape[1:])
specs = {"essay": ("unet", ch.model_config("unet", skips="self")),
         "eps": ("ddpm_unet", ch.model_config("ddpm_unet", skips="self", batchnorm=False)),
         "x0": ("ddpm_unet_x0", ch.model_config("ddpm_unet_x0", skips="self", batchnorm=False))}
labels = {"essay": "essay's U-Net (chapter 05)", "eps": "DDPM U-Net, predicts eps (baseline)",
          "x0": "DDPM U-Net, predicts x_0 (control)"}
trained, train_s = {}, {}
for m, (name, cfg) in specs.items():
    t0 = time.perf_counter()
    trained[m] = ch.train(name, cfg, ch.train_config())
    train_s[m] = time.perf_counter() - t0
    how = "loaded from cache" if trained[m].hit else f"trained from step {trained[m].resumed_from}"
    print(f"{labels[m]}: {models.n_params(trained[m].model):,} parameters, {trained[m].steps} steps, "
          f"{how} in {train_s[m]:.1f} s")
unet, ddpm, ddpm_x0 = trained["essay"].model, trained["eps"].model, trained["x0"].model
print(ddpm.ddpm, ddpm_x0.ddpm, sep="\n")

# %% [markdown]
# ## Training compute
#
# FLOPs of one training step, counted by PyTorch's FLOP counter on a real forward and backward
# pass of each model's own loss (`aelib.compute.step_cost` with a `loss_fn`: the copying loss for
# the essay's model, the diffusion loss for the others), times the steps. Convolutions and matrix
# products are counted; batch norm, activations, the noise mixing and the optimiser are not (a
# few per cent). The diffusion models' only extra work is the time MLP, once per image.

# %%
cost = {m: compute.step_cost(trained[m].model, shape, B, device=ch.device,
                             **({} if m == "essay" else {"loss_fn": diffusion.loss_fn})) for m in trained}
objective = {"essay": "copy: |O(a) - a|^2", "eps": "|eps_theta(x_t, t) - eps|^2",
             "x0": "|x0_theta(x_t, t) - x_0|^2"}
flop_table = pd.DataFrame({
    labels[m]: {"parameters": models.n_params(r.model), "objective": objective[m],
                "GFLOP per training step": cost[m].train_step / 1e9, "optimiser steps": r.steps,
                "images seen": r.steps * B, "training TFLOP": cost[m].training(r.steps) / 1e12,
                "MFLOP per network call (one image)": cost[m].forward_per_image / 1e6,
                "training wall s (this run)": None if r.hit else round(train_s[m], 1)}
    for m, r in trained.items()}).T
flop_ratio = cost["eps"].training(trained["eps"].steps) / cost["essay"].training(trained["essay"].steps)
ch.glue("x6_tflop_unet", cost["essay"].training(trained["essay"].steps) / 1e12)
ch.glue("x6_tflop_ddpm", cost["eps"].training(trained["eps"].steps) / 1e12)
ch.glue("x6_flop_ratio", flop_ratio)
ch.glue("x6_params_unet", f"{models.n_params(unet):,}")
ch.glue("x6_params_ddpm", f"{models.n_params(ddpm):,}")
ch.glue("x6_steps", str(trained["eps"].steps))
ch.glue("x6_batch", str(B))
print(f"training FLOPs, DDPM / essay's U-Net: {flop_ratio:.4f}")
flop_table

# %% [markdown]
# The diffusion models' training losses, step by step: the baseline's error on the noise (a
# network that always answers zero scores 1) and the control's error on the clean image in the
# $[-1, 1]$ scale. The two are different quantities; each curve is only comparable with itself.

# %%
fig = figures.loss_curves({"baseline: MSE on eps": trained["eps"].losses,
                           "control: MSE on x_0": trained["x0"].losses})
ch.figure(fig, "ddpm_loss");

# %% [markdown]
# ## What a noise-predicting model can learn on this backbone
#
# The loss at single noise levels, on held-out images (fresh noise per level). The last column
# is the noise-prediction error of an estimate that needs no learning at all: take the whole
# noisy input as noise, $\hat\varepsilon = x_t / \sqrt{1 - \bar\alpha_t}$. At high levels, where
# almost nothing of the image is left, it is nearly exact, and all it needs is a copy of the
# input. The no-skip U-Net is exactly the network that does *not* learn to copy (chapter
# {ref}`identity`, C1 and C3): everything it outputs has passed through a bottleneck at a quarter
# of the resolution, and pixel-scale noise does not survive the trip. Asked to output the noise,
# it can give back only its coarse part; asked to output the clean image, it is doing what it
# does in every other chapter.

# %%
LEVELS = (0, 50, 250, 500, 750, 999)
held = ch.data.to_float(ch.data.heldout).to(ch.device)
lv_eps = diffusion.loss_by_level(ddpm, held[:P.ddpm_samples], LEVELS, ch.generator(700))
lv_x0 = diffusion.loss_by_level(ddpm_x0, held[:P.ddpm_samples], LEVELS, ch.generator(700))
level_table = pd.DataFrame({t: {"abar_t": float(ddpm.scheduler.alphas_cumprod[t]),
                                "baseline: MSE on eps": lv_eps[t][0],
                                "eps-MSE of x_t / sqrt(1 - abar_t) (a copy of the input)": lv_eps[t][1],
                                "control: MSE on x_0": lv_x0[t][0]} for t in LEVELS}).T
level_table.index.name = "level t"
ch.glue("x6_eps_loss_top", lv_eps[LEVELS[-1]][0])
ch.glue("x6_copy_loss_top", lv_eps[LEVELS[-1]][1])
ch.glue("x6_top_level", str(LEVELS[-1]))
level_table.round(4)

# %% [markdown]
# ## Samples
#
# Six sample sets of `ddpm_samples` images each: the essay's sampler (`aelib.sampler.sample`,
# exactly as in chapter {ref}`diffusion`, with the same noise seeds, so its samples are that
# chapter's) at $N = 30$ and $N = 200$, costing $N + 1$ network calls per sample; and DDIM on the
# baseline and on the control with 30 and 200 steps, one call each. All run `diff_batch` chains at
# a time; the wall time of each run is measured here, on this machine, after an untimed warm-up,
# and divided by the number of samples.

# %%
n_s = P.ddpm_samples
sample(unet, shape, SamplerConfig(steps=2, n_samples=2, batch_size=2), ch.generator(1), device=ch.device)
diffusion.sample_ddim(ddpm, shape, 2, 2, 2, ch.generator(1), device=ch.device)  # warm-ups, not timed
runs, seconds, calls, model_of = {}, {}, {}, {}
for N in STEPS:
    key = f"essay, N = {N}"
    t0 = time.perf_counter()
    r = sample(unet, shape, SamplerConfig(steps=N, n_samples=n_s, batch_size=P.diff_batch),
               ch.generator(100), device=ch.device)
    seconds[key], runs[key], calls[key], model_of[key] = time.perf_counter() - t0, r.final, r.evaluations, "essay"
for m, model in (("eps", ddpm), ("x0", ddpm_x0)):
    for S in STEPS:
        key = f"DDIM, {m} model, {S} steps"
        t0 = time.perf_counter()
        r = diffusion.sample_ddim(model, shape, S, n_s, P.diff_batch, ch.generator(900), device=ch.device)
        seconds[key], runs[key], calls[key], model_of[key] = time.perf_counter() - t0, r.final, r.evaluations, m
for key in runs:
    print(f"{key}: {calls[key]} calls per sample, {n_s} samples in {seconds[key]:.1f} s")

# %% [markdown]
# The first ten samples of each set (not chosen), each above the training image nearest to it in
# pixel space, and ten held-out photos at the bottom for scale. A sample that matches the image
# below it is a copy of that training image. Both DDIM models start from the same noise.

# %%
pool = ch.data.train                                   # uint8; scanned in chunks
near = {key: metrics.nearest_neighbours(x, pool) for key, x in runs.items()}
rows = {}
for key, x in runs.items():
    rows[key] = x
    rows[f"nearest training ({key})"] = ch.data.to_float(pool[near[key][1]])
rows["held-out photos"] = held[:10].cpu()
fig = figures.image_rows(rows, n=10)
ch.figure(fig, "x6_samples");

# %% [markdown]
# ## The comparison
#
# Per sample set: SW to all held-out images (mean over seeds, and the largest standard deviation
# over seeds among the pyramid levels); the median L2 distance from a sample to its nearest
# training image (pixels in $[0, 1]$), beside the same distance for as many held-out photos; the
# spread, the median distance between two samples of the set, as a fraction of the spread of as
# many held-out photos; network calls and GFLOP per sample; and the measured wall time per
# sample. The floor row is a random set of training images of the same size.

# %%
sw_cfg = ch.sw_config()
held_s = held[:n_s]
train_idx = torch.randperm(len(pool), generator=torch.Generator().manual_seed(P.seed + 7))[:n_s]
train_set = ch.data.to_float(pool[train_idx])
spread_held = metrics.spread(held_s)
nn_held = metrics.nearest_neighbours(held_s, pool)[0]
FLOOR = "training images (floor)"
sw = {key: metrics.sliced_wasserstein_repeated(x, held, sw_cfg, P.ddpm_sw_repeats)
      for key, x in (runs | {FLOOR: train_set}).items()}
sw_mean = {key: sum(m) / len(m) for key, (m, sd) in sw.items()}
sw_sd = {key: max(sd) for key, (m, sd) in sw.items()}
spreads = {key: metrics.spread(x) / spread_held for key, x in runs.items()}
table = pd.DataFrame({
    key: {"SW to held-out": sw_mean[key], "SW seed sd (max over levels)": sw_sd[key],
          "SW / floor": sw_mean[key] / sw_mean[FLOOR],
          "median distance to nearest training image": float(near[key][0].median()),
          "spread / spread(held-out)": spreads[key], "network calls per sample": calls[key],
          "GFLOP per sample": calls[key] * cost[model_of[key]].forward_per_image / 1e9,
          "wall ms per sample": 1e3 * seconds[key] / n_s}
    for key in runs}).T
table.loc[FLOOR] = {"SW to held-out": sw_mean[FLOOR], "SW seed sd (max over levels)": sw_sd[FLOOR],
                    "SW / floor": 1.0, "spread / spread(held-out)": metrics.spread(train_set) / spread_held}
table.loc["held-out photos"] = {"median distance to nearest training image": float(nn_held.median()),
                                "spread / spread(held-out)": 1.0}
table.round(3)

# %% [markdown]
# The same numbers against the cost of a sample: SW (left; the floor dashed) and the median
# distance to the nearest training image (right; held-out photos dashed), for every sampler at
# both lengths.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
for name, m, marker in (("essay's sampler (copying U-Net)", "essay", "o"), ("DDIM, eps model (baseline)", "eps", "s"),
                        ("DDIM, x_0 model (control)", "x0", "^")):
    keys = [k for k in runs if model_of[k] == m]
    x = [calls[k] for k in keys]
    axes[0].errorbar(x, [sw_mean[k] for k in keys], yerr=[sw_sd[k] for k in keys], marker=marker, capsize=3,
                     label=name)
    axes[1].plot(x, [float(near[k][0].median()) for k in keys], marker=marker, label=name)
axes[0].axhline(sw_mean[FLOOR], color="0.4", ls="--", lw=1, label=FLOOR)
axes[1].axhline(float(nn_held.median()), color="0.4", ls="--", lw=1, label="held-out photos")
for ax, ylabel in zip(axes, ("SW to held-out images", "median L2 to nearest training image")):
    ax.set_xscale("log")
    ax.set_xlabel("network calls per sample")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
fig.tight_layout()
ch.figure(fig, "x6_sw_vs_calls");

# %%
lo, hi = min(STEPS), N_X6
run_of = {("essay", n): f"essay, N = {n}" for n in STEPS} | {(m, n): f"DDIM, {m} model, {n} steps"
                                                             for m in ("eps", "x0") for n in STEPS}
x6_value = sw_mean[run_of["essay", hi]] / sw_mean[run_of["eps", hi]]
ratio = {(m, n): sw_mean[run_of["essay", n]] / sw_mean[run_of[m, n]] for m in ("eps", "x0") for n in STEPS}
rec = ch.record("X6", x6_value, X6_THRESHOLD,
                measure=f"SW(essay's sampler, N = {hi}) / SW(DDIM, {hi} steps, eps-predicting DDPM) to held-out "
                        f"images, mean over levels and {P.ddpm_sw_repeats} seeds; same U-Net backbone, data, steps "
                        f"and batch (the eps baseline's loss stays near 1; against the x_0-predicting control, added "
                        f"after the first run and outside the verdict: {ratio['x0', hi]:.2f})",
                figure="x6_sw_vs_calls",
                details={"sw": sw_mean, "sw_seed_sd_max": sw_sd,
                         "ratio_eps_at_low_calls": ratio["eps", lo],
                         "ratio_x0_control": {str(n): ratio["x0", n] for n in STEPS},
                         "nn_train_median": {k: float(v[0].median()) for k, v in near.items()},
                         "nn_train_median_heldout": float(nn_held.median()), "spread_ratio": spreads,
                         "calls_per_sample": calls, "wall_s_per_sample": {k: s / n_s for k, s in seconds.items()},
                         "train_tflop": {m: cost[m].training(r.steps) / 1e12 for m, r in trained.items()},
                         "train_flop_ratio": flop_ratio, "steps": trained["eps"].steps, "batch_size": B,
                         "samples": n_s, "ddpm": str(ddpm.ddpm),
                         "loss_last_100": {m: sum(trained[m].losses[-100:]) / len(trained[m].losses[-100:])
                                           for m in ("eps", "x0")},
                         "loss_by_level_eps": {str(t): v for t, v in lv_eps.items()},
                         "loss_by_level_x0": {str(t): v[0] for t, v in lv_x0.items()}})
ch.glue("x6_value", x6_value)
ch.glue("x6_verdict", "holds" if rec["verdict"] else "does not hold")
ch.glue("x6_lo", str(lo))
ch.glue("x6_hi", str(hi))
ch.glue("x6_sw_floor", sw_mean[FLOOR])
ch.glue("x6_sd_max", max(sw_sd.values()))
ch.glue("x6_nn_held", float(nn_held.median()))
for m in specs:
    for n, tag in ((lo, "lo"), (hi, "hi")):
        k = run_of[m, n]
        ch.glue(f"x6_sw_{m}_{tag}", sw_mean[k])
        ch.glue(f"x6_nn_{m}_{tag}", float(near[k][0].median()))
        ch.glue(f"x6_spread_{m}_{tag}", spreads[k])
        ch.glue(f"x6_ms_{m}_{tag}", 1e3 * seconds[k] / n_s)
        ch.glue(f"x6_calls_{m}_{tag}", str(calls[k]))
        if m != "essay":
            ch.glue(f"x6_ratio_{m}_{tag}", ratio[m, n])
            ch.glue(f"x6_closer_{m}_{tag}", "the essay's sampler" if ratio[m, n] < 1 else "DDIM")
for m in ("eps", "x0"):
    ch.glue(f"x6_loss_end_{m}", sum(trained[m].losses[-100:]) / len(trained[m].losses[-100:]))
print(f"chapter time: {ch.elapsed():.0f} s")
pd.DataFrame([rec])[["id", "value", "threshold", "verdict", "measure"]]

# %% [markdown]
# ## What the numbers say
#
# - **Compute.** Every model was trained for {glue:text}`x6_steps` steps of {glue:text}`x6_batch`
#   images: {glue:text}`x6_tflop_unet:.2f` TFLOP for the essay's U-Net
#   ({glue:text}`x6_params_unet` parameters) and {glue:text}`x6_tflop_ddpm:.2f` TFLOP for each
#   diffusion model ({glue:text}`x6_params_ddpm` parameters, the extra ones in the time MLP), a
#   ratio of {glue:text}`x6_flop_ratio:.4f`: matched.
# - **The baseline's loss.** Its noise-prediction loss ended at
#   {glue:text}`x6_loss_end_eps:.3f` (mean of the last 100 steps; zero answers score 1). At level
#   {glue:text}`x6_top_level` it is {glue:text}`x6_eps_loss_top:.3f`, where merely copying the
#   noisy input would score {glue:text}`x6_copy_loss_top:.4f`. A large gap between the two is the
#   no-skip backbone failing to hand pixel-scale noise back out: the essay's own observation that
#   this network does not learn the identity, seen from the other side.
# - **X6.** With {glue:text}`x6_calls_essay_hi` network calls per sample the essay's sampler
#   reaches an SW of {glue:text}`x6_sw_essay_hi:.3f` to held-out photos; DDIM on the baseline with
#   {glue:text}`x6_calls_eps_hi` reaches {glue:text}`x6_sw_eps_hi:.3f`. The ratio is
#   {glue:text}`x6_value:.2f` (threshold: at most 1.25), so the claim that the essay's sampler is
#   competitive {glue:text}`x6_verdict` at this profile; the closer of the two is
#   {glue:text}`x6_closer_eps_hi`. With {glue:text}`x6_lo` steps the distances are
#   {glue:text}`x6_sw_essay_lo:.3f` and {glue:text}`x6_sw_eps_lo:.3f`, a ratio of
#   {glue:text}`x6_ratio_eps_lo:.2f`. Real training photos sit at {glue:text}`x6_sw_floor:.3f`,
#   and the seeds of the measurement move a level's distance by up to {glue:text}`x6_sd_max:.3f`.
# - **Against the control.** The same backbone trained to predict the clean image (loss
#   {glue:text}`x6_loss_end_x0:.3f` on $x_0$ at the end) reaches {glue:text}`x6_sw_x0_hi:.3f` with
#   {glue:text}`x6_hi` DDIM steps and {glue:text}`x6_sw_x0_lo:.3f` with {glue:text}`x6_lo`: the
#   essay's sampler's distance is {glue:text}`x6_ratio_x0_hi:.2f` and {glue:text}`x6_ratio_x0_lo:.2f`
#   of it ({glue:text}`x6_closer_x0_hi` is closer at {glue:text}`x6_hi` calls). On a backbone
#   that cannot copy, this parameterisation asks the network for what it can produce, so it is
#   arguably the fairer comparison; it was added after the first run and is not part of the
#   recorded verdict.
# - **Copying and diversity.** The median distance from a sample to its nearest training image is
#   {glue:text}`x6_nn_essay_lo:.2f` and {glue:text}`x6_nn_essay_hi:.2f` for the essay's sampler,
#   {glue:text}`x6_nn_eps_lo:.2f` and {glue:text}`x6_nn_eps_hi:.2f` for the baseline,
#   {glue:text}`x6_nn_x0_lo:.2f` and {glue:text}`x6_nn_x0_hi:.2f` for the control, against
#   {glue:text}`x6_nn_held:.2f` for held-out photos; their spreads are
#   {glue:text}`x6_spread_essay_lo:.2f` and {glue:text}`x6_spread_essay_hi:.2f`,
#   {glue:text}`x6_spread_eps_lo:.2f` and {glue:text}`x6_spread_eps_hi:.2f`,
#   {glue:text}`x6_spread_x0_lo:.2f` and {glue:text}`x6_spread_x0_hi:.2f` of the held-out photos'.
#   Distances well below the held-out photos' with a normal spread would mean copying; distances
#   below them with a small spread would mean a few smooth prototypes, which sit near everything;
#   distances far above them with a large spread mean samples that are not photo-like at all.
# - **Time.** On this machine a sample took {glue:text}`x6_ms_essay_lo:.1f` and
#   {glue:text}`x6_ms_essay_hi:.1f` ms with the essay's sampler and {glue:text}`x6_ms_eps_lo:.1f` and
#   {glue:text}`x6_ms_eps_hi:.1f` ms with DDIM (wall time, batches of `diff_batch`). The backbone
#   and the number of calls are the same, so any difference comes from the scheduler's arithmetic,
#   the time MLP and the essay's batch norms.
#
# ## What this does not show
#
# - **Scale.** At the `cpu` profile the U-Nets have about a hundred thousand parameters and are
#   trained for minutes on 32×32 crops of a few dozen photographs. Diffusion models are known to
#   need long training (Ho et al. trained for hundreds of thousands of steps); the diffusion
#   models here are far from converged, and so is the essay's model. The verdict is a statement
#   about this small, equal budget, not about the methods at their best; the `paper` profile
#   repeats it at the essay's sizes.
# - **The backbone decides a lot.** The comparison holds the backbone fixed, and the essay's
#   backbone has no encoder-to-decoder skips; standard diffusion U-Nets have them precisely so
#   that fine detail, and noise, can pass. A noise-predicting model with skips would very likely
#   do much better; it would no longer be the same network, and it is not measured here.
# - **The baselines are plain.** No group norm, attention, residual blocks, learned variances,
#   exponential moving average of the weights or tuned schedule; the time conditioning is a bias
#   per channel. Nothing was tuned for any of the methods.
# - **The measure.** FID cannot be computed offline (every implementation downloads Inception
#   weights), so the distributions are compared by sliced Wasserstein distances between
#   Laplacian-pyramid patches. These rank sample sets against the same reference; they are **not
#   comparable with published FIDs**, and they see texture and colour statistics more than the
#   layout of a scene. The nearest-neighbour distance is in pixel space, which tells copying from
#   novelty only roughly.
# - **One training run each.** The models were trained once, with one seed; the spread of the
#   SW over measurement seeds is reported, the spread over training seeds is not.
#
# ## References
#
# - B. L. Badger, *Autoencoders: Learning by Copying*, blbadger.github.io (section "Diffusion with
#   no Diffusion").
# - J. Ho, A. Jain, P. Abbeel, *Denoising Diffusion Probabilistic Models*, NeurIPS 2020.
# - J. Song, C. Meng, S. Ermon, *Denoising Diffusion Implicit Models*, ICLR 2021.
# - Z. Kadkhodaie, E. P. Simoncelli, *Stochastic Solutions for Linear Inverse Problems using the
#   Prior Implicit in a Denoiser*, NeurIPS 2021.
# - A. Bansal, E. Borgnia, H.-M. Chu, J. S. Li, H. Kazemi, F. Huang, M. Goldblum, J. Geiping,
#   T. Goldstein, *Cold Diffusion: Inverting Arbitrary Image Transforms Without Noise*, 2022.
# - T. Karras, T. Aila, S. Laine, J. Lehtinen, *Progressive Growing of GANs for Improved
#   Quality, Stability, and Variation*, ICLR 2018 (sliced Wasserstein on Laplacian pyramids).
# - P. von Platen et al., *Diffusers: State-of-the-art diffusion models*, GitHub, 2022 (the
#   schedulers used here).
