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
# (manifold-walk)=
# # Generating images by walking the learned manifold
#
# If an autoencoder that was only trained to copy has nevertheless learned something about
# which images are likely, it should be possible to draw new images from it. The latent of
# the no-skip U-Net is no help on its own: $h = E(a)$ has more numbers than the image, and a
# random point of that space is unlikely to decode to anything that looks like a photograph,
# because nothing in training asked the latents of real images to fill the space (a variational
# autoencoder imposes exactly that, at the price of blurrier samples).
#
# The essay's way round this is to start *on* the set of latents that real images produce and
# take small random steps that the model itself keeps pulling back towards what it has learned.
# Starting from held-out images $g_0 = a$, each step re-encodes the current image, perturbs the
# latent and decodes:
#
# $$h_n = E(g_{n-1}) + \mathcal N(0, \varepsilon^2), \qquad g_n = D(h_n), \qquad n = 1, \dots, K.$$
#
# The essay used $\varepsilon = 0.2$ on the U-Net's bottleneck and $K = 300$ steps. With
# $\varepsilon = 0$ the walk is the plain iteration $g_n = O(g_{n-1})$: if the images still move,
# the movement comes from the model and not from the noise. As everywhere in this book the
# model stays in train mode, so each batch norm normalises with the statistics of the batch being
# walked; the walk moves fixed batches of images (of {glue:text}`walk_batch` here: the essay's
# "7 of 8" suggests batches of 8) and leaves the model's running statistics untouched.
#
# This chapter measures:
#
# - **C12** the noisy walk moves far from its start while staying image-like;
# - **C13** without noise many inputs still walk, a sign that the learned manifold is unstable;
# - **C14** more training makes the manifold more stable: fewer inputs walk without noise (the
#   essay: from 7 of 8 to about 1 of 8 after 200 further epochs).
#
# Every claim is measured on three seeds. A seed retrains the U-Net (its initialisation and the
# order of its training batches), draws its own walkers from the held-out images and its own
# walk noise; a claim holds only when every seed clears its threshold, every gate passes and the
# claim's control does not clear.

# %% tags=["parameters"]
PROFILE = "cpu"

# %%
import dataclasses

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

import aelib.chapter
from aelib import claims, corruption, figures, metrics, models, report, verdict
from aelib.walk import Contraction, draw_walkers, walk, walkers_per_seed

ch = aelib.chapter.start("04_manifold_walk", PROFILE)
P = ch.profile
ch.show_data()

# %% [markdown]
# ## What is measured, and when a claim holds
#
# $d_n$ is the median over walkers of the relative distance from the start,
# $\lVert g_n - a\rVert / \lVert a\rVert$. "SW" is the sliced Wasserstein distance between 7×7
# patches of Laplacian pyramids (chapter {ref}`denoising`), measured against held-out images that
# are *not* among the walkers' starting images; the noise it is compared with is the essay's
# $\mathcal N(0.7, 0.2^2)$, one image per walker. A walker is **still walking** after $K$
# re-encodings when the last re-encoding still changed its image:
# $\lVert g_K - g_{K-1}\rVert / \lVert g_K\rVert > \tau$. The table is read from the book's
# registry of claims, where the thresholds were fixed before the first run.

# %%
ch.claims_table()

# %% [markdown]
# Why these measures: $d_1$ already contains the model's reconstruction error and one step of
# noise, so a walk that only jitters around its start keeps $d_K$ near $d_1$; a multiple of it
# means the images travelled. The SW limit is the one chapter {ref}`denoising` uses for
# "image-like" (C6). "Many" in C13 is vague; the registered fraction is a deliberately modest
# reading (the essay saw 7 of 8). The tolerance $\tau$ = {glue:text}`tol:.0e` per step is four
# orders of magnitude above float32 round-off, so a walker below it has in effect stopped, while
# one above it, if the rate held for the whole walk, would drift by a visible fraction of its
# norm; fractions at ten times smaller and larger tolerances are reported beside it.
#
# The controls are measurements on which the same tests must come out the other way:
#
# - C12: the same walk (same walkers, same noise) of an *untrained* U-Net: it moves, but its
#   frames must not look like photographs;
# - C13: a map known to settle, the contraction $O(g) = m + 0.9\,(g - m)$ towards the mean
#   training image $m$, walked by the same code: nothing may count as still walking;
# - C14: the same training length twice, namely the model of the *next* seed walked from this
#   seed's walkers: the difference it gives is what changes between two equally trained models,
#   with no extra training at all.

# %%
TOL = P.walk.tol
TOL_SENSITIVITY = (TOL / 10, TOL, TOL * 10)
SHORT, LONG = P.train.steps, P.train.steps * max(P.walk.train_mults)
N_WALK = walkers_per_seed(P.walk.walkers, P.walk.batch_size)
cfg = P.walk  # the profile's walk settings (aelib.config.walk.WalkConfig)
cfg0 = dataclasses.replace(cfg, eps=0.0)
ch.glue("tol", TOL)
for key, val in {"steps_short": SHORT, "steps_long": LONG, "n_walk": N_WALK, "n_seeds": len(ch.seeds),
                 "walk_K": cfg.steps, "walk_batch": cfg.batch_size}.items():
    ch.glue(key, str(val))

# %% [markdown]
# ## The models: two training lengths per seed, both trained by the rule
#
# The no-skip U-Net of chapters {ref}`identity` and {ref}`denoising` is trained for each seed
# along the book's stopping rule up to {glue:text}`steps_short` optimiser steps (the shared model
# of every chapter). For C14 the same run is continued, with the batches it would have seen in one
# go, to {glue:text}`steps_long` steps, again along the rule's doubling schedule, so that the
# held-out error is recorded at every doubling. Both lengths must pass the gates: each model must
# reconstruct held-out images better than the mean training image does (*model works*), and the
# held-out error must have fallen by less than the registered fraction over the last doubling
# (*trained to rule*).

# %%
unet_cfg = ch.shared_config("unet")
short_runs, long_runs, gate_rows = {}, {}, []
for s in ch.seeds:
    short_runs[s] = ch.shared("unet", s)
    # the longer run resumes the shared model's cache; it is recorded under a subject of its own
    long_runs[s] = ch.longer_run("unet", s, max(P.walk.train_mults))
    for run in (short_runs[s], long_runs[s]):
        works = ch.model_works(run.subject, run.model, s)
        run.extra["works"] = works
        gate_rows.append({"seed": s, "training steps": run.steps, "held-out error": run.curve[-1][1],
                          "fall over last doubling": run.improvement, "stopped by": run.reason,
                          "error / mean-image error": works.value,
                          "gates pass": run.gate().passed and works.passed})
ch.glue("unet_params", f"{models.n_params(short_runs[ch.seeds[0]].model):,}")
report.show(gate_rows)

# %% [markdown]
# The U-Net has {glue:text}`unet_params` parameters. One row per seed and training length: the
# held-out reconstruction error at the end of the run, how much it fell over the last doubling,
# what stopped the run, the error relative to the mean training image's, and whether both gates
# pass.

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
for i, s in enumerate(ch.seeds):
    pts = sorted((dict(short_runs[s].curve) | dict(long_runs[s].curve)).items())
    c = colors[i % len(colors)]
    axes[0].plot(*zip(*pts), "-", color=c, alpha=0.7, label=f"seed {s}")
    for length, run, marker in ((SHORT, short_runs[s], "o"), (LONG, long_runs[s], "s")):
        axes[0].plot(length, run.curve[-1][1], marker, color=c, ms=8, mfc="white" if run.gate().passed else c)
    losses = torch.tensor(long_runs[s].trained.losses)
    win = max(1, len(losses) // 60)
    smooth = losses.unfold(0, win, win).mean(1)
    axes[1].plot((torch.arange(len(smooth)) + 1) * win, smooth, color=c, label=f"seed {s}")
for ax in axes:
    for length, ls in ((SHORT, ":"), (LONG, "--")):
        ax.axvline(length, color="k", ls=ls, lw=0.8)
axes[0].set_xscale("log")
axes[0].set_xlabel("optimiser steps")
axes[0].set_ylabel("held-out |O(a) - a| / |a| (median)")
axes[0].set_title("stopping-rule points", fontsize=10)
axes[1].set_yscale("log")
axes[1].set_xlabel("optimiser steps")
axes[1].set_ylabel(f"training MSE (mean of {win} steps)")
axes[1].set_title("training loss of the longer run", fontsize=10)
axes[0].legend(fontsize=9)
fig.tight_layout()
ch.figure(fig, "training_lengths")

# %% [markdown]
# ```{glue:figure} training_lengths
# :name: fig-04-training-lengths
# :alt: Left, held-out reconstruction error against optimiser steps on a log axis, one line per seed; right, training loss against steps for the longer runs.
#
# The two training lengths of every seed. Left: the held-out reconstruction error at each point
# of the stopping rule's schedule, one line per seed, with the two lengths compared in C14
# marked (circles: {glue:text}`steps_short` steps, squares: {glue:text}`steps_long` steps; a
# filled marker is a length whose last doubling still improved the error by more than the rule
# allows). Right: the training loss of the longer run, whose first part is the shorter run
# itself. In both panels the dotted line marks the shorter length (C12, C13) and the dashed line
# the longer one (C14).
# ```

# %% [markdown]
# ## The walkers
#
# Each seed walks {glue:text}`n_walk` held-out images drawn at random (in batches of
# {glue:text}`walk_batch`); the {glue:text}`n_ref` held-out images it does not walk are its
# reference set for the distribution distance. Every walk runs for $K$ = {glue:text}`walk_K`
# steps. The same walkers serve all three claims of that seed.

# %%
held = ch.data.to_float(ch.data.heldout)
walkers, refs = {}, {}
for s in ch.seeds:
    idx, rest = draw_walkers(len(held), N_WALK, ch.rng("walkers", s))
    walkers[s], refs[s] = held[idx].to(ch.device), held[rest].to(ch.device)
a_all = torch.cat([walkers[s] for s in ch.seeds]).cpu()
pair_dist = float(((a_all - a_all.roll(1, 0)).flatten(1).norm(dim=1) / a_all.flatten(1).norm(dim=1)).median())
ch.glue("n_ref", f"{len(refs[ch.seeds[0]]):,}")

# %% [markdown]
# (claim-c12)=
# ## C12: the walk with noise moves far and stays image-like
#
# Every walker is walked for $K$ steps with $\varepsilon$ = {glue:text}`eps`, by the trained U-Net
# and, as the control, by an untrained U-Net of the same architecture with the same walkers and
# the same noise.

# %%
S0 = ch.seeds[0]
ch.glue("eps", P.walk.eps)
ch.glue("seed0", str(S0))
noisy, noisy_u, sw_curve, c12_rows = {}, {}, {}, []
n_pts = min(P.walk.sw_points, cfg.steps // cfg.frame_every + 1)
m12 = ch.measurement("C12")
for s in ch.seeds:
    a, ref = walkers[s], refs[s]
    torch.manual_seed(ch.seed_of("untrained U-Net", s))
    untrained = models.build(unet_cfg).to(ch.device).train()
    noisy[s] = walk(short_runs[s].model, a, cfg, ch.rng("walk noise", s))
    noisy_u[s] = walk(untrained, a, cfg, ch.rng("walk noise", s))  # the same noise
    sw_cfg = ch.sw_config(seed=s)
    sw_noise = metrics.sw_distance(corruption.noise_like(a, generator=ch.rng("pure noise", s)), ref, sw_cfg)
    steps_rec = noisy[s].frame_steps
    idx = sorted({round(i * (len(steps_rec) - 1) / max(1, n_pts - 1)) for i in range(n_pts)})
    sw_curve[s] = {steps_rec[i]: metrics.sw_distance(noisy[s].frames[i], ref, sw_cfg) / sw_noise for i in idx}
    sw_u = metrics.sw_distance(noisy_u[s].last, ref, sw_cfg) / sw_noise
    q = {"value": noisy[s].move_ratio(), "sw": sw_curve[s][steps_rec[-1]]}
    qc = {"value": noisy_u[s].move_ratio(), "sw": sw_u}
    run = short_runs[s]
    m12.add(s, q, control=qc,
            gates=[run.gate(), run.extra["works"],
                   verdict.check("iteration moved", "noisy walk of the unet", noisy[s].distance(), s)],
            details={"d_1": noisy[s].distance(1), "d_K": noisy[s].distance(), "sw_start": sw_curve[s][0],
                     "untrained_d_1": noisy_u[s].distance(1), "untrained_d_K": noisy_u[s].distance(),
                     "walkers": N_WALK, "steps": cfg.steps, "eps": cfg.eps})
    c12_rows.append({"seed": s, "d_1": noisy[s].distance(1), "d_K": noisy[s].distance(), "d_K / d_1": q["value"],
                     "SW ratio, last frames": q["sw"], "SW ratio, starts": sw_curve[s][0],
                     "untrained: d_K / d_1": qc["value"], "untrained: SW ratio": qc["sw"]})
c12 = ch.claim(m12, figure="walk_distances", details={"pair_distance": pair_dist})
c12_table = pd.DataFrame(c12_rows).set_index("seed")
ch.player("walk_noisy", {float(cfg.eps): noisy[S0].frames}, noisy[S0].frame_steps, n=min(8, N_WALK), nrow=4)
ch.glue("n_shown", str(min(8, N_WALK)))
report.show(c12_table.rename(columns={"d_1": "d_1 (after one step)", "d_K": "d_K (after K steps)"}))

# %% [markdown]
# Per seed: the median distance from the start after one step and after $K$ steps, their ratio,
# and the distribution distance of the last frames and of the starting images, as a fraction of
# pure noise's; the last two columns are the untrained U-Net's.
#
# ```{glue:figure} walk_noisy
# :name: fig-04-walk-noisy
# :alt: A player showing the first walkers of the trained U-Net, in rows of four images, with a slider over the recorded steps.
#
# The noisy walk of seed {glue:text}`seed0`'s trained U-Net ($\varepsilon$ = {glue:text}`eps`):
# the first {glue:text}`n_shown` walkers at every recorded step; press play or drag the slider. Pixel values
# are clipped to $[0, 1]$, not rescaled per image as in the essay's videos, so that drifts in
# brightness stay visible.
# ```

# %%
steps_rec = noisy[S0].frame_steps
n_rows = min(6, len(steps_rec))
rows_at = sorted({round(i * (len(steps_rec) - 1) / (n_rows - 1)) for i in range(n_rows)})
strip = {f"step {steps_rec[i]}" + (" (a)" if i == 0 else ""): noisy[S0].frames[i] for i in rows_at}
strip[f"step {steps_rec[-1]}, untrained"] = noisy_u[S0].last
fig = figures.image_rows(strip, n=min(10, N_WALK))
ch.figure(fig, "walk_strip")

# %% [markdown]
# ```{glue:figure} walk_strip
# :name: fig-04-walk-strip
# :alt: Rows of walker images, one row per recorded step from the starting held-out images down to the last step, and a last row of the untrained U-Net's final frames.
#
# The same walk as a strip: each row is one recorded step of seed {glue:text}`seed0`, each column
# one walker, with the starting held-out images on top and the untrained U-Net's last frames at
# the bottom.
# ```

# %%
sw_limit = claims.get("C12").test("sw").limit
move_limit = claims.get("C12").test().limit
fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
x = torch.arange(cfg.steps + 1)
for i, s in enumerate(ch.seeds):
    c = colors[i % len(colors)]
    axes[0].plot(x, noisy[s].from_start.median(dim=1).values, color=c, label=f"trained, seed {s}")
    axes[0].plot(x, noisy_u[s].from_start.median(dim=1).values, color=c, ls="--", alpha=0.7,
                 label=f"untrained, seed {s}")
    axes[1].plot(list(sw_curve[s]), list(sw_curve[s].values()), "o-", color=c, label=f"trained, seed {s}")
    axes[1].plot(cfg.steps, c12_table.loc[s, "untrained: SW ratio"], "x", color=c, ms=9,
                 label=f"untrained, seed {s}")
axes[0].axhline(pair_dist, color="grey", ls=":", label="two different held-out images")
axes[0].set_xlabel("step n")
axes[0].set_ylabel("median |g_n - a| / |a|")
axes[0].legend(fontsize=9)
axes[1].axhline(1.0, color="tab:red", ls="--", label="pure noise")
axes[1].axhline(sw_limit, color="tab:red", ls=":", label="threshold")
axes[1].set_xlabel("step n")
axes[1].set_ylabel("SW(frames) / SW(noise), to held-out")
axes[1].set_ylim(bottom=0)
axes[1].legend(fontsize=9)
fig.tight_layout()
ch.figure(fig, "walk_distances")

# %% [markdown]
# ```{glue:figure} walk_distances
# :name: fig-04-walk-distances
# :alt: Left, median distance from the start against the walk step for trained and untrained U-Nets per seed; right, distribution distance to held-out images as a fraction of noise's against the step.
#
# How far the noisy walk goes, and whether it stays image-like. Left: how far the walkers have
# moved from their starting images, step by step (median over walkers), for the trained U-Net
# (solid) and the untrained one (dashed), next to the typical distance between two *different*
# held-out images. Right: the distribution distance of the trained walk's frames to held-out
# images at a few recorded steps, as a fraction of pure noise's (the starting frames are held-out photographs themselves: the floor), and that of the untrained
# U-Net's last frames (crosses). The dotted red line is C12's threshold.
# ```

# %% [markdown]
# (claim-c13)=
# ## C13: the walk without noise
#
# The same walkers and the same models, $\varepsilon = 0$: each model is simply applied to its own
# output again and again. A walker that keeps moving here is carried by the model itself. The
# control walks the same walkers through the contraction towards the mean training image.

# %%
mean_train = ch.data.to_float(ch.data.train).mean(0, keepdim=True).to(ch.device)
contraction = Contraction(mean_train)
still, still_c, c13_rows = {}, {}, []
m13 = ch.measurement("C13")
for s in ch.seeds:
    still[s] = walk(short_runs[s].model, walkers[s], cfg0)
    still_c[s] = walk(contraction, walkers[s], cfg0)
    run = short_runs[s]
    f, fc = still[s].fraction_walking(), still_c[s].fraction_walking()
    m13.add(s, f, control=fc,
            gates=[run.gate(), run.extra["works"],
                   verdict.check("iteration moved", "noise-free walk of the unet", still[s].distance(), s)],
            details={"walking": int(still[s].walking().sum()), "walkers": N_WALK, "tol": TOL,
                     "d_1": still[s].distance(1), "d_K": still[s].distance(), "move_ratio": still[s].move_ratio(),
                     "median_last_change": float(still[s].change[-1].median())}
            | {f"fraction_tol_{t:g}": still[s].fraction_walking(t) for t in TOL_SENSITIVITY})
    c13_rows.append({"seed": s, "walking": f"{int(still[s].walking().sum())} / {N_WALK}", "fraction": f}
                    | {f"fraction, tol {t:g}": still[s].fraction_walking(t) for t in TOL_SENSITIVITY if t != TOL}
                    | {"d_K / d_1 (eps = 0)": still[s].move_ratio(),
                       "median last change": float(still[s].change[-1].median()), "contraction: fraction": fc})
c13 = ch.claim(m13, figure="noise_free_walk")
ch.player("walk_noise_free", {0.0: still[S0].frames}, still[S0].frame_steps, n=min(8, N_WALK), nrow=4)
report.show(c13_rows)

# %% [markdown]
# Per seed: how many walkers still walk after $K$ re-encodings at the tolerance $\tau$, and the
# fraction at ten times smaller and larger tolerances; how far the noise-free walk travelled
# ($d_K / d_1$), the median change made by the last re-encoding, and the fraction the
# contraction control leaves walking.
#
# ```{glue:figure} walk_noise_free
# :name: fig-04-walk-noise-free
# :alt: A player showing the first walkers of the trained U-Net without noise, in rows of four images, with a slider over the recorded steps.
#
# The walk without noise ($\varepsilon = 0$) of seed {glue:text}`seed0`'s trained U-Net, from the
# same walkers: the model applied to its own output again and again. Press play or drag the
# slider; pixel values are clipped to $[0, 1]$.
# ```

# %% [markdown]
# (claim-c14)=
# ## C14: the same walk after more training
#
# Each seed's walkers are walked without noise again, by the same seed's U-Net after
# {glue:text}`steps_long` steps. The control walks the same walkers through the *next* seed's
# U-Net at {glue:text}`steps_short` steps: two models of the same training length, so any
# difference between them is not the effect of training longer.

# %%
longer, other, c14_rows = {}, {}, []
m14 = ch.measurement("C14")
for i, s in enumerate(ch.seeds):
    s_next = ch.seeds[(i + 1) % len(ch.seeds)]
    longer[s] = walk(long_runs[s].model, walkers[s], cfg0)
    other[s] = walk(short_runs[s_next].model, walkers[s], cfg0)
    f_s, f_l, f_o = still[s].fraction_walking(), longer[s].fraction_walking(), other[s].fraction_walking()
    w_s, w_l = still[s].walking(), longer[s].walking()
    sr, lr = short_runs[s], long_runs[s]
    m14.add(s, f_l - f_s, control=f_o - f_s,
            gates=[sr.gate(), sr.extra["works"], lr.gate(), lr.extra["works"]],
            details={"fraction_short": f_s, "fraction_long": f_l, "fraction_next_seed": f_o, "next_seed": s_next,
                     "stopped_with_more_training": int((w_s & ~w_l).sum()),
                     "started_with_more_training": int((~w_s & w_l).sum()),
                     "heldout_error_short": sr.curve[-1][1], "heldout_error_long": lr.curve[-1][1]}
            | {f"delta_tol_{t:g}": longer[s].fraction_walking(t) - still[s].fraction_walking(t)
               for t in TOL_SENSITIVITY})
    c14_rows.append({"seed": s, f"walking, {SHORT} steps": f_s, f"walking, {LONG} steps": f_l,
                     "difference": f_l - f_s, "stopped": int((w_s & ~w_l).sum()), "started": int((~w_s & w_l).sum()),
                     "control: next seed": s_next, f"control: its model, {SHORT} steps": f_o,
                     "control difference": f_o - f_s}
                    | {f"difference, tol {t:g}": longer[s].fraction_walking(t) - still[s].fraction_walking(t)
                       for t in TOL_SENSITIVITY if t != TOL})
c14 = ch.claim(m14, figure="walking_vs_training")
c14_table = pd.DataFrame(c14_rows).set_index("seed")
report.show(c14_table.T.rename(columns=lambda s: f"seed {s}").rename_axis("per seed"))

# %% [markdown]
# One column per seed: the fraction of walkers still walking after the shorter and the longer training,
# their difference, how many walkers stopped and how many started walking with more training;
# then the control (the next seed's model of the shorter length, walked from this seed's
# walkers) and the difference at ten times smaller and larger tolerances.

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
k = torch.arange(1, cfg.steps + 1)
for i, s in enumerate(ch.seeds):
    c = colors[i % len(colors)]
    axes[0].plot(k, still[s].change.median(dim=1).values.clamp_min(1e-12), color=c, label=f"{SHORT} steps, seed {s}")
    axes[0].plot(k, longer[s].change.median(dim=1).values.clamp_min(1e-12), color=c, ls="--",
                 label=f"{LONG} steps, seed {s}")
    axes[1].plot(k, still[s].fraction_walking_curve(), color=c, label=f"{SHORT} steps, seed {s}")
    axes[1].plot(k, longer[s].fraction_walking_curve(), color=c, ls="--", label=f"{LONG} steps, seed {s}")
axes[0].plot(k, still_c[S0].change.median(dim=1).values.clamp_min(1e-12), color="grey", ls=":",
             label="contraction (control)")
axes[0].axhline(TOL, color="k", ls=":", lw=0.8, label="tolerance")
axes[0].set_yscale("log")
axes[0].set_xlabel("re-encodings n")
axes[0].set_ylabel("median |g_n - g_(n-1)| / |g_n|")
axes[1].set_xlabel("re-encodings K")
axes[1].set_ylabel("fraction still walking")
axes[1].set_ylim(-0.03, 1.03)
for ax in axes:
    ax.legend(fontsize=9)
fig.tight_layout()
ch.figure(fig, "noise_free_walk")

# %% [markdown]
# ```{glue:figure} noise_free_walk
# :name: fig-04-noise-free-walk
# :alt: Left, median change per re-encoding on a log axis against the number of re-encodings, per seed and training length, with the contraction and the tolerance; right, fraction of walkers still walking against the number of re-encodings.
#
# The walk without noise. Left: how much each re-encoding still changes the image (median over
# walkers) for the model at both training lengths (solid: {glue:text}`steps_short` steps,
# dashed: {glue:text}`steps_long` steps) and for the contraction control (grey, seed
# {glue:text}`seed0`), against the tolerance $\tau$. Right: the fraction of walkers still
# walking after $K$ re-encodings, for every $K$ up to the walk's length.
# ```

# %%
f13_limit = claims.get("C13").test().limit
fig, ax = plt.subplots(figsize=(5.5, 3.4))
for i, s in enumerate(ch.seeds):
    c = colors[i % len(colors)]
    dy = 0.012 * (i - (len(ch.seeds) - 1) / 2)  # seeds drawn slightly apart, so equal fractions stay visible
    fs = [c14_table.loc[s, f"walking, {SHORT} steps"] + dy, c14_table.loc[s, f"walking, {LONG} steps"] + dy]
    ax.plot([SHORT, LONG], fs, "o-", color=c, label=f"seed {s}")
    ax.plot(SHORT * 1.04, c14_table.loc[s, f"control: its model, {SHORT} steps"] + dy, "x", color=c, ms=8)
ax.axhline(f13_limit, color="grey", ls=":", label="C13 threshold ('many')")
ax.set_xscale("log")
ax.set_xticks([SHORT, LONG], [str(SHORT), str(LONG)])
ax.minorticks_off()
ax.set_xlabel("training steps (optimiser updates)")
ax.set_ylabel(f"fraction walking at K = {cfg.steps}")
ax.set_ylim(-0.03, 1.05)
ax.legend(fontsize=9)
fig.tight_layout()
ch.figure(fig, "walking_vs_training")

# %% [markdown]
# ```{glue:figure} walking_vs_training
# :name: fig-04-walking-vs-training
# :alt: Fraction of walkers still walking without noise against training steps on a log axis, circles joined per seed for the two lengths, crosses for the control.
#
# The fraction of each seed's walkers that still walk without noise after the two training
# lengths (circles, joined per seed; the seeds are drawn a hair apart vertically so that equal
# fractions stay visible), and the fraction for the same walkers under the next seed's model of
# the shorter length (crosses, drawn just right of it): the spread of the crosses around the
# circles at the shorter length is what retraining alone changes. The dotted line is C13's
# threshold for "many".
# ```
#
# ## Explore the walks
#
# The same walkers of seed {glue:text}`seed0`, walked by the same model at each noise level
# $\varepsilon$ in {glue:text}`eps_list`.

# %%
walks = {float(P.walk.eps): noisy[S0], 0.0: still[S0]}
for eps in P.walk.eps_list:
    if float(eps) not in walks:
        walks[float(eps)] = walk(short_runs[S0].model, walkers[S0], dataclasses.replace(cfg, eps=float(eps)),
                                 ch.rng("walk noise", S0, f"eps {float(eps):g}"))
ch.player("walk_explorer", {eps: walks[float(eps)].frames for eps in sorted(P.walk.eps_list)},
          noisy[S0].frame_steps, n=8, nrow=4, label="eps", slider="step")
ch.glue("eps_list", ", ".join(f"{float(e):g}" for e in sorted(P.walk.eps_list)))

# %% [markdown]
# ```{glue:figure} walk_explorer
# :name: fig-04-walk-explorer
# :alt: A player showing the first walkers, in rows of four images, with buttons to choose the noise level and a slider over the recorded steps.
#
# Seed {glue:text}`seed0`'s walkers under its trained U-Net at every noise level: choose
# $\varepsilon$ with the buttons, then press play or drag the slider over the recorded steps.
# $\varepsilon = 0$ is C13's walk, and the chapter's $\varepsilon$ = {glue:text}`eps` is C12's.
# ```

# %% [markdown]
# ## What the essay gets right, what it gets wrong, and why

# %%
def med(table: pd.DataFrame, col: str) -> float:
    return float(table[col].median())


def gate_failures(*recs: dict) -> dict[tuple[str, str], str]:
    """(gate, subject) -> its worst value over seeds, for every gate that failed in any of ``recs``."""
    out = {}
    for rec in recs:
        for g in rec["gates"]:
            if not g["passed"]:
                val = "not measured" if g["value"] is None else f"{g['value']:.3g}"
                out[(g["name"], g["subject"])] = f"'{g['name']}' for {g['subject']} ({val}, needs {g['limit']})"
    return out


move_med, sw_med = med(c12_table, "d_K / d_1"), med(c12_table, "SW ratio, last frames")
sw_u_med, move_u_med = med(c12_table, "untrained: SW ratio"), med(c12_table, "untrained: d_K / d_1")
if c12["verdict"] == "holds":
    s12 = (f"The essay is right that the noisy walk explores: on every seed the walkers end {move_med:.1f} times as "
           f"far from their starts as after one step (median), and their last frames sit at {sw_med:.2f} of pure "
           f"noise's distribution distance to held-out photographs, while an untrained U-Net walked with the same noise "
           f"ends at {sw_u_med:.2f}.")
elif c12["verdict"] == "does not hold":
    part = []
    if move_med < move_limit:
        part.append(f"the walkers end only {move_med:.2f} times as far from their starts as after one step")
    if sw_med >= sw_limit:
        part.append(f"their last frames sit at {sw_med:.2f} of pure noise's distribution distance to held-out "
                    f"photographs (untrained U-Net: {sw_u_med:.2f})")
    s12 = ("Against the essay, the noisy walk does not both travel and stay image-like here: "
           + " and ".join(part or [f"no seed clears {c12['threshold']}"]) + " (medians over seeds).")
else:
    s12 = (f"Whether the noisy walk travels while staying image-like is not settled here ({c12['reason']}): the "
           f"walkers end {move_med:.1f} times as far from their starts as after one step and their last frames sit at "
           f"{sw_med:.2f} of noise's distribution distance (untrained U-Net: {move_u_med:.1f} and {sw_u_med:.2f}).")

f13_med = med(pd.DataFrame(c13_rows), "fraction")
last_change = med(pd.DataFrame(c13_rows), "median last change")
move0_med = med(pd.DataFrame(c13_rows), "d_K / d_1 (eps = 0)")
travel = (f"the last re-encoding still changes the median walker by {last_change:.2g} of its norm, and the "
          f"noise-free walkers end {move0_med:.1f} times as far from their starts as after the first "
          f"re-encoding, so " + ("they travel rather than settle next to where they began" if move0_med >= move_limit
                                  else "they stay near the first reconstruction of their start"))
if c13["verdict"] == "holds":
    s13 = (f"The essay is right that, on this model, many inputs keep walking without noise: a median "
           f"{f13_med:.2f} of the walkers still change by more than {TOL:g} of their norm after {cfg.steps} "
           f"re-encodings, where the contraction control settles completely; {travel}.")
elif c13["verdict"] == "does not hold":
    s13 = (f"Against the essay, few inputs keep walking without noise: a median {f13_med:.2f} of the walkers still "
           f"change by more than {TOL:g} of their norm after {cfg.steps} re-encodings, short of the registered fraction "
           f"on every seed; {travel}.")
else:
    s13 = (f"Whether many inputs walk without noise is not settled here ({c13['reason']}): a median {f13_med:.2f} "
           f"of the walkers still change after {cfg.steps} re-encodings; {travel}.")

d14_med, d14_ctrl = med(c14_table, "difference"), med(c14_table, "control difference")
e_short = float(np.median([short_runs[s].curve[-1][1] for s in ch.seeds]))
e_long = float(np.median([long_runs[s].curve[-1][1] for s in ch.seeds]))
fall_long = float(np.median([long_runs[s].improvement for s in ch.seeds]))
fall_short = float(np.median([short_runs[s].improvement for s in ch.seeds]))
training = (f"Doubling the training from {SHORT} to {LONG} steps lowered the held-out reconstruction error from "
            f"{e_short:.3f} to {e_long:.3f} (median); the error fell {fall_short:.0%} over the shorter run's last "
            f"doubling and {fall_long:.0%} over the longer run's.")
if c14["verdict"] == "holds":
    s14 = (f"{training} On every seed fewer walkers walk after the longer training (median change {d14_med:+.2f}), "
           f"while two models of the same length differ by {d14_ctrl:+.2f}: the essay's trend is there, if far "
           f"smaller than its 7/8 to 1/8.")
elif c14["verdict"] == "does not hold":
    s14 = (f"{training} Against the essay, the longer training does not make fewer walkers walk on any seed "
           f"(median change {d14_med:+.2f}; two models of the same length differ by {d14_ctrl:+.2f}).")
else:
    s14 = (f"{training} Whether more training makes fewer inputs walk is not settled: the median change is "
           f"{d14_med:+.2f} against {d14_ctrl:+.2f} between two models of the same length ({c14['reason']}).")
d14_hi = med(c14_table, f"difference, tol {TOL * 10:g}")
coarse = (f"At a ten times coarser tolerance ({TOL * 10:g}), where fewer walkers count as still walking, the longer "
          f"training makes " + ("more of them walk, not fewer" if d14_hi > 0 else "fewer of them walk" if d14_hi < 0
                                else "no difference either") + f" (median change {d14_hi:+.2f}).")
s14 = f"{s14} {coarse}"
failed = gate_failures(c12, c13, c14)
meaning = {"trained to rule": "the held-out error was still falling by more than the rule allows when the budget "
                              "cap stopped training, so that model is not yet the trained model the essay describes",
           "model works": "that model reconstructs held-out photographs worse than the mean training image does, "
                          "so nothing it does can stand for a trained autoencoder",
           "iteration moved": "the walk hardly left its start, so there was nothing to measure"}
if failed:
    s_gates = (f"Gates that failed: {'; '.join(failed.values())}. "
               + " ".join(f"A failed '{g}' gate means {meaning[g]}." for g in dict.fromkeys(k[0] for k in failed)))
else:
    s_gates = ("Every model the three claims rest on passed its gates: it beats the mean training image on held-out "
               "photographs, and its held-out error had stopped falling by the rule's measure.")
for key, text in {"conclusion_c12": s12, "conclusion_c13": s13, "conclusion_c14": s14, "conclusion_gates": s_gates}.items():
    ch.glue(key, text)

# %% [markdown]
# - {glue:text}`conclusion_c12`
# - {glue:text}`conclusion_c13`
# - {glue:text}`conclusion_c14`
# - {glue:text}`conclusion_gates`
#
# Two caveats. The batch norms couple the walkers of one batch: a walker whose own image has
# settled can still be moved while its batch-mates move, so "still walking" is a property of
# the batch as much as of the image. And the essay's U-Nets had four levels and were trained on
# hundreds to thousands of landscapes at 256² or 512² for hundreds of epochs; a verdict here is a
# measurement of a small U-Net trained for minutes on a CPU.
#
# ## References
#
# - B. L. Badger, *Autoencoders: Learning by Copying*, blbadger.github.io (section on image
#   generation with a manifold walk).
# - D. P. Kingma, M. Welling, *Auto-Encoding Variational Bayes*, ICLR 2014.
# - T. Karras, T. Aila, S. Laine, J. Lehtinen, *Progressive Growing of GANs for Improved
#   Quality, Stability, and Variation*, ICLR 2018 (sliced Wasserstein on Laplacian pyramids).
# - O. Ronneberger, P. Fischer, T. Brox, *U-Net: Convolutional Networks for Biomedical Image
#   Segmentation*, MICCAI 2015.
