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
# walked; `aelib.walk` walks fixed batches of images (8 at the `cpu` and `paper` profiles: the
# essay's "7 of 8" suggests that size) and restores the model's running statistics afterwards.
#
# This chapter measures:
#
# - **C12** the noisy walk moves far from its start while staying image-like;
# - **C13** without noise many inputs still walk, a sign that the learned manifold is unstable;
# - **C14** more training makes the manifold more stable: fewer inputs walk without noise (the
#   essay: from 7 of 8 to about 1 of 8 after 200 further epochs).

# %% tags=["parameters"]
PROFILE = "cpu"

# %%
import dataclasses

import matplotlib.pyplot as plt
import pandas as pd
import torch
from IPython.display import display

import aelib.chapter
from aelib import corruption, figures, metrics, models
from aelib.walk import WalkConfig, walk

ch = aelib.chapter.start("04_manifold_walk", PROFILE)
P = ch.profile
print(ch.data.describe())

# %% [markdown]
# ## Thresholds, fixed before the first run
#
# $d_n$ is the median over walkers of the relative distance from the start,
# $\lVert g_n - a\rVert / \lVert a\rVert$. "SW" is the sliced Wasserstein distance between 7×7
# patches of Laplacian pyramids (chapter {ref}`denoising`), measured against held-out images that
# are *not* among the walkers' starting images; the noise is $\mathcal N(0.7, 0.2^2)$, the
# essay's, one image per walker. A walker is **still walking** after $K$ re-encodings when the
# last re-encoding still changed its image: $\lVert g_K - g_{K-1}\rVert / \lVert g_K\rVert > \tau$.
#
# | claim | value | holds when |
# |---|---|---|
# | C12 | $d_K / d_1$ for the walk with $\varepsilon = 0.2$, with a second condition | $d_K / d_1 \ge 2$ **and** SW(last frames, held-out) / SW(noise, held-out) $< 0.5$ |
# | C13 | fraction of walkers still walking after $K$ noise-free re-encodings, model trained for `steps` | $\ge 0.25$ |
# | C14 | that fraction for the longest training minus that for the shortest (same walkers) | $< 0$ |
#
# Why these: $d_1$ already contains the model's reconstruction error and one step of noise, so a
# walk that only jitters around its start keeps $d_K$ near $d_1$; doubling it means the images
# travelled. The factor 0.5 on SW is the one chapter {ref}`denoising` used for "image-like" (C6).
# "Many" in C13 is vague; a quarter is a deliberately modest reading (the essay saw 7 of 8). The
# tolerance $\tau = 10^{-3}$ per step is four orders of magnitude above float32 round-off, so a
# walker below it has in effect stopped, while one above it, if the rate held for the whole
# walk, would drift by a visible fraction of its norm; the fractions at $\tau = 10^{-4}$ and
# $10^{-2}$ are reported beside it, but the verdict uses $10^{-3}$.

# %%
C12_MOVE, C12_SW = 2.0, 0.5
C12_THRESHOLD = f">= {C12_MOVE:g} (d_K / d_1); and SW(last frames) / SW(noise) < {C12_SW:g}"
C13_THRESHOLD = ">= 0.25"
C14_THRESHOLD = "< 0"
TOL = P.walk_tol
TOL_SENSITIVITY = (TOL / 10, TOL, TOL * 10)

# %% [markdown]
# ## The model and the walkers
#
# The no-skip U-Net of chapters {ref}`identity` and {ref}`denoising`, loaded from the shared
# cache. The walkers start from held-out images; the rest of the held-out set is the reference
# for the distribution distance.

# %%
unet_cfg = ch.model_config("unet", skips="self")
unet = ch.train("unet", unet_cfg)
a = ch.data.eval_batch(P.walk_walkers, ch.device)
ref = ch.data.to_float(ch.data.heldout[P.walk_walkers:]).to(ch.device)
cfg = WalkConfig(steps=P.walk_steps, eps=P.walk_eps, frame_every=P.walk_frame_every, batch_size=P.walk_batch,
                 tol=TOL)
print(f"U-Net: {models.n_params(unet.model):,} parameters, {unet.steps} steps "
      f"({'loaded from cache' if unet.hit else 'trained'}); latent h {tuple(unet.model.E(a[:2]).shape[1:])} "
      f"for an image {tuple(a.shape[1:])}")
print(f"{len(a)} walkers in batches of {cfg.batch_size}, {cfg.steps} steps, a frame every {cfg.frame_every} steps; "
      f"SW reference: {len(ref)} other held-out images")
cfg

# %% [markdown]
# ## The walk with noise
#
# Every walker is walked for $K$ steps with $\varepsilon = 0.2$. The animation shows the first
# eight walkers, one frame every few steps (pixel values clipped to $[0, 1]$, not rescaled per image as
# in the essay's videos, so that drifts in brightness stay visible).

# %%
walks = {P.walk_eps: walk(unet.model, a, cfg, ch.generator(41))}
w = walks[P.walk_eps]
steps_rec = w.frame_steps
scale = max(1, 64 // P.image_size)
gif = figures.gif_bytes(w.frames, n=min(8, len(a)), nrow=8, scale=scale, fps=8)
figures.save_gif(gif, ch.figure_dir, "walk_noisy")
display(figures.show_gif(gif))
print(f"{len(steps_rec)} frames, steps 0..{steps_rec[-1]}, {len(gif) / 1024:.0f} KiB")

# %% [markdown]
# The same walk as a strip: each row is one recorded step, each column one walker, with the
# starting held-out images on top.

# %%
n_rows = min(7, len(steps_rec))
rows_at = sorted({round(i * (len(steps_rec) - 1) / (n_rows - 1)) for i in range(n_rows)})
fig = figures.image_rows({f"step {steps_rec[i]}" + (" (a)" if i == 0 else ""): w.frames[i] for i in rows_at},
                         n=min(10, len(a)))
ch.figure(fig, "walk_strip");

# %% [markdown]
# ## C12: far from the start, still image-like
#
# Left: how far the walkers have moved from their starting images, step by step (median and
# interquartile range), next to the typical distance between two *different* held-out images.
# Right: the distribution distance of the walk's frames to held-out images at a few recorded
# steps, between the distance of real held-out images (the starting frames; the floor) and that
# of pure noise.

# %%
sw_cfg = ch.sw_config()
noise = corruption.noise_like(a, generator=ch.generator(43))
sw_noise = metrics.sw_distance(noise, ref, sw_cfg)
n_pts = min(P.walk_sw_points, len(steps_rec))
sw_idx = sorted({round(i * (len(steps_rec) - 1) / (n_pts - 1)) for i in range(n_pts)})
sw_walk = {steps_rec[i]: metrics.sw_distance(w.frames[i], ref, sw_cfg) for i in sw_idx}
sw_start, sw_last = sw_walk[0], sw_walk[steps_rec[-1]]
a_cpu = a.cpu()
pair_dist = float(((a_cpu - a_cpu.roll(1, 0)).flatten(1).norm(dim=1) / a_cpu.flatten(1).norm(dim=1)).median())
pd.DataFrame({"SW to held-out": list(sw_walk.values()) + [sw_noise]},
             index=[f"walk, step {s}" for s in sw_walk] + ["pure noise"]).round(3)

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
x = torch.arange(cfg.steps + 1)
q = w.from_start.quantile(torch.tensor([0.25, 0.5, 0.75]), dim=1)
axes[0].plot(x, q[1], label=f"eps = {P.walk_eps} (median)")
axes[0].fill_between(x, q[0], q[2], alpha=0.25, label="interquartile range")
axes[0].axhline(pair_dist, color="grey", ls=":", label="two different held-out images")
axes[0].set_xlabel("step n")
axes[0].set_ylabel("|g_n - a| / |a|")
axes[0].legend(fontsize=8)
axes[1].plot(list(sw_walk), list(sw_walk.values()), "o-", label=f"walk frames, eps = {P.walk_eps}")
axes[1].axhline(sw_noise, color="tab:red", ls="--", label="pure noise")
axes[1].axhline(C12_SW * sw_noise, color="tab:red", ls=":", label=f"{C12_SW:g} x noise (threshold)")
axes[1].axhline(sw_start, color="grey", ls=":", label="held-out starts (floor)")
axes[1].set_xlabel("step n")
axes[1].set_ylabel("SW distance to held-out")
axes[1].set_ylim(bottom=0)
axes[1].legend(fontsize=8)
fig.tight_layout()
ch.figure(fig, "walk_distances");

# %%
d_1 = float(w.from_start[1].median())
d_K = float(w.from_start[-1].median())
c12_move = d_K / max(d_1, 1e-12)
c12_sw = sw_last / sw_noise
c12_verdict = bool(c12_move >= C12_MOVE and c12_sw < C12_SW)
ch.record("C12", c12_move, C12_THRESHOLD, c12_verdict,
          measure=f"d_K / d_1 (median |g_n - a| / |a|), eps = {P.walk_eps}, K = {cfg.steps}; and SW ratio",
          figure="walk_distances",
          details={"d_1": d_1, "d_K": d_K, "sw_last": sw_last, "sw_noise": sw_noise, "sw_ratio": c12_sw,
                   "sw_start": sw_start, "pair_distance": pair_dist, "walkers": len(a), "steps": cfg.steps,
                   "eps": P.walk_eps})
for key, val in {"c12_move": c12_move, "c12_sw": c12_sw, "c12_d1": d_1, "c12_dK": d_K,
                 "c12_pair": pair_dist, "c12_sw_start_ratio": sw_start / sw_noise}.items():
    ch.glue(key, val)
ch.glue("c12_verdict", "holds" if c12_verdict else "does not hold");

# %% [markdown]
# ## C13: the walk without noise
#
# The same walkers, the same model, $\varepsilon = 0$: the model is simply applied to its own
# output again and again. A walker that keeps moving here is carried by the model itself.

# %%
walks[0.0] = walk(unet.model, a, dataclasses.replace(cfg, eps=0.0), ch.generator(47))
w0 = walks[0.0]
gif0 = figures.gif_bytes(w0.frames, n=min(8, len(a)), nrow=8, scale=scale, fps=8)
figures.save_gif(gif0, ch.figure_dir, "walk_noise_free")
display(figures.show_gif(gif0))
print(f"still walking after {cfg.steps} re-encodings (tol {TOL:g}): {int(w0.walking().sum())} of {len(a)}")

# %% [markdown]
# ## C14: the same walk after more training
#
# The U-Net is trained further from its cached checkpoint (the longer run resumes where the
# shorter one stopped, with the same data order it would have had in one go), and the same
# walkers are walked again without noise.

# %%
lengths = {P.steps * m: None for m in P.walk_train_mults}
lengths[P.steps] = (unet, w0)
for n_steps in sorted(lengths):
    if lengths[n_steps] is None:
        run = ch.train("unet", unet_cfg, ch.train_config(steps=n_steps))
        print(f"{n_steps} steps: {'loaded from cache' if run.hit else f'trained from step {run.resumed_from}'}")
        lengths[n_steps] = (run, walk(run.model, a, dataclasses.replace(cfg, eps=0.0), ch.generator(47)))
rows = []
for n_steps, (run, wk) in sorted(lengths.items()):
    row = {"training steps": n_steps, "training MSE (last 50 steps)": sum(run.losses[-50:]) / len(run.losses[-50:]),
           "reconstruction error d_1": float(wk.from_start[1].median()), "d_K": float(wk.from_start[-1].median())}
    row |= {f"walking, tol {t:g}": wk.fraction_walking(t) for t in TOL_SENSITIVITY}
    rows.append(row)
walk_table = pd.DataFrame(rows).set_index("training steps")
walk_table.round(4)

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
for n_steps, (_, wk) in sorted(lengths.items()):
    med = wk.change.median(dim=1).values.clamp_min(1e-9)
    axes[0].plot(torch.arange(1, cfg.steps + 1), med, label=f"{n_steps} training steps")
    axes[1].plot(torch.arange(1, cfg.steps + 1), wk.fraction_walking_curve(TOL), label=f"{n_steps} training steps")
    last = wk.change[-1].clamp_min(1e-9).log10()
    axes[2].hist(last.numpy(), bins=24, alpha=0.55, label=f"{n_steps} training steps")
axes[0].axhline(TOL, color="k", ls=":", lw=0.8, label="tolerance")
axes[0].set_yscale("log")
axes[0].set_xlabel("re-encodings n")
axes[0].set_ylabel("median |g_n - g_(n-1)| / |g_n|")
axes[1].set_xlabel("re-encodings K")
axes[1].set_ylabel("fraction still walking")
axes[1].set_ylim(-0.03, 1.03)
axes[2].axvline(torch.tensor(TOL).log10().item(), color="k", ls=":", lw=0.8, label="tolerance")
axes[2].set_xlabel("log10 relative change at the last step")
axes[2].set_ylabel("walkers")
for ax in axes:
    ax.legend(fontsize=8)
fig.tight_layout()
ch.figure(fig, "noise_free_walk");

# %%
steps_sorted = sorted(lengths)
fractions = [lengths[s][1].fraction_walking() for s in steps_sorted]
fig, ax = plt.subplots(figsize=(5, 3.2))
ax.plot(steps_sorted, fractions, "o-")
for s, f in zip(steps_sorted, fractions):
    ax.annotate(f"{round(f * len(a))}/{len(a)}", (s, f), textcoords="offset points", xytext=(6, 4), fontsize=9)
ax.axhline(0.25, color="grey", ls=":", label="C13 threshold ('many')")
ax.set_xlabel("training steps (optimiser updates)")
ax.set_ylabel(f"fraction walking at K = {cfg.steps}")
ax.set_ylim(-0.03, 1.05)
ax.set_xticks(steps_sorted)
ax.legend(fontsize=8)
fig.tight_layout()
ch.figure(fig, "walking_vs_training");

# %%
short, long = steps_sorted[0], steps_sorted[-1]
f_short, f_long = fractions[0], fractions[-1]
w_short, w_long = lengths[short][1].walking(), lengths[long][1].walking()
ch.record("C13", f_short, C13_THRESHOLD, measure=f"fraction with |g_K - g_(K-1)| / |g_K| > {TOL:g} at eps = 0, "
          f"K = {cfg.steps}, {short} training steps", figure="noise_free_walk",
          details={"walkers": len(a), "walking": int(w_short.sum()), "tol": TOL, "steps": cfg.steps,
                   "batch": cfg.batch_size}
          | {f"fraction_tol_{t:g}": lengths[short][1].fraction_walking(t) for t in TOL_SENSITIVITY})
c14_value = f_long - f_short
ch.record("C14", c14_value, C14_THRESHOLD, measure=f"fraction walking (eps = 0) after {long} minus after {short} "
          "training steps, same walkers", figure="walking_vs_training",
          details={"fractions": dict(zip(map(str, steps_sorted), fractions)),
                   "stopped_after_more_training": int((w_short & ~w_long).sum()),
                   "started_after_more_training": int((~w_short & w_long).sum())}
          | {f"delta_tol_{t:g}": lengths[long][1].fraction_walking(t) - lengths[short][1].fraction_walking(t)
             for t in TOL_SENSITIVITY})
for key, val in {"c13_value": f_short, "c14_value": c14_value, "c14_f_long": f_long, "tol": TOL}.items():
    ch.glue(key, val)
for key, val in {"c13_n": int(w_short.sum()), "c14_n_long": int(w_long.sum()), "n_walkers": len(a),
                 "steps_short": short, "steps_long": long, "walk_K": cfg.steps,
                 "c14_stopped": int((w_short & ~w_long).sum()), "c14_started": int((~w_short & w_long).sum())}.items():
    ch.glue(key, str(val))
pd.DataFrame(ch.ledger.records.values())[["id", "value", "threshold", "verdict", "measure"]]

# %% [markdown]
# ## Explore the walks
#
# Run this notebook in Jupyter to get a slider over the recorded steps and buttons for the noise
# level. In the rendered book, and whenever `AELIB_HEADLESS=1`, the same frames appear as a
# static grid: one row per noise level, the first four walkers at evenly spaced steps.

# %%
for eps in P.walk_eps_list:
    if float(eps) not in walks:
        walks[float(eps)] = walk(unet.model, a, dataclasses.replace(cfg, eps=float(eps)), ch.generator(53))
view = figures.frame_explorer({eps: walks[float(eps)].frames for eps in sorted(P.walk_eps_list)}, steps_rec)
if figures.headless():
    ch.figure(view, "walk_explorer")
else:
    display(view)

# %% [markdown]
# ## What the numbers say
#
# - **C12.** After one noisy step the walkers are {glue:text}`c12_d1:.2f` of their norm away from
#   their starting images, after the last step {glue:text}`c12_dK:.2f` (two different held-out
#   images are typically {glue:text}`c12_pair:.2f` apart): a ratio of {glue:text}`c12_move:.2f`
#   (threshold: at least 2). The last frames sit at {glue:text}`c12_sw:.2f` of the noise's
#   distribution distance to held-out images (threshold: below 0.5; real held-out images sit at
#   {glue:text}`c12_sw_start_ratio:.2f`). Together, the claim {glue:text}`c12_verdict` at this
#   profile.
# - **C13.** Without noise, {glue:text}`c13_n` of {glue:text}`n_walkers` walkers
#   ({glue:text}`c13_value:.2f`) were still changing by more than {glue:text}`tol:.4f` of their
#   norm per step after {glue:text}`walk_K` re-encodings of the model trained for
#   {glue:text}`steps_short` steps (threshold: at least 0.25).
# - **C14.** After training to {glue:text}`steps_long` steps, {glue:text}`c14_n_long` of them
#   ({glue:text}`c14_f_long:.2f`) still walk: a change of {glue:text}`c14_value:+.2f`
#   (threshold: below 0). Of the same walkers, {glue:text}`c14_stopped` stopped and
#   {glue:text}`c14_started` started walking with the extra training.
#
# The table of training lengths gives the fractions at a ten times smaller and a ten times
# larger tolerance as well, so a reader can see whether the verdicts depend on $\tau$. Two
# caveats. The batch norms couple the walkers of one batch: a walker whose own image has
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
