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
# (batchnorm)=
# # The role of batch normalization
#
# Every convolution of the essay's U-Net is followed by a batch normalization layer. In training
# mode such a layer takes each feature map $c$ of its input $x_{n,c,m}$ (image $n$ of the batch,
# position $m$), subtracts the mean and divides by the standard deviation computed over the
# whole batch *and* all positions, and then applies a learned scale $\gamma_c$ and shift $\beta_c$:
#
# $$\mathrm{BN}(x)_{n,c,m} = \gamma_c\,\frac{x_{n,c,m} - \mu_c}{\sqrt{\sigma_c^2 + \epsilon}} + \beta_c,
# \qquad \mu_c = \frac{1}{NM}\sum_{n,m} x_{n,c,m},\quad
# \sigma_c^2 = \frac{1}{NM}\sum_{n,m} (x_{n,c,m} - \mu_c)^2 .$$
#
# In evaluation mode, $\mu_c$ and $\sigma_c^2$ are replaced by running averages collected during
# training. The essay keeps its models in training mode throughout, also when it denoises and
# generates, and argues that the normalization is what lets the U-Net impose the statistics of
# natural images on what it synthesises. Its section on batch normalization makes four
# observations, which become five claims here:
#
# - **C19** the U-Net is a better denoiser than the fully connected autoencoder;
# - **C20** with every batch norm removed, the U-Net's outputs are no longer noisy, but their
#   statistics (brightness, contrast, colour) are off;
# - **C21** training *and* evaluating with batches of one image, so that each layer normalises over
#   the positions of a single image, denoises about as well as batches of 8 or 16;
# - **C22** with or without batch norm, the trained U-Net represents its input about equally well;
# - **C23** batch norm has to stay in training mode for synthesis: with running statistics
#   (evaluation mode) denoising and sampling break down.
#
# One remark shapes how the numbers should be read. The essay's corruption mixes each image with
# $\mathcal N(0.7, 0.2^2)$ noise, $\hat a = \alpha a + (1-\alpha) n$; for typical photographs this
# mostly lowers the contrast and pulls the mean towards 0.7, and the random part is the smaller
# share of $\lVert \hat a - a \rVert^2$. A layer that re-standardises every feature map with the
# statistics of the batch it is given undoes a shift and a rescaling of the whole batch for free.
# So each table below carries the zero-mean Gaussian control of the same size (`r_control`), which
# tells noise removal apart from contrast restoration.

# %% tags=["parameters"]
PROFILE = "cpu"

# %%
import dataclasses

import matplotlib.pyplot as plt
import pandas as pd
import torch
import torch.nn.functional as F

import aelib.chapter
from aelib import batchnorm, corruption, figures, metrics, models
from aelib.batchnorm import EssayBlur, Grouped, RunningStatistics
from aelib.representation import represent
from aelib.sampler import SamplerConfig, sample

ch = aelib.chapter.start("06_batchnorm", PROFILE)
P = ch.profile
print(ch.data.describe())

# %% [markdown]
# ## Thresholds, fixed before the first run
#
# $r(\alpha)$ and $k(\alpha)$ are the denoise ratio and the noise gain of the first page (medians
# over held-out images); $e$ is the representation error. Two image statistics are new here. The
# **high-frequency energy** of an image is the mean square of the finest band of its Laplacian
# pyramid (the image minus a blurred copy of itself): it is large for pixel-scale noise and small
# for a smooth image. The **channel-statistics distance** of an output from its clean original is
# the Euclidean distance between their six numbers (mean and standard deviation of each colour
# channel); it measures how far brightness, contrast and colour balance are off, whatever the
# details. SW is the sliced Wasserstein distance between Laplacian-pyramid patches of two image
# sets (chapter {ref}`denoising`).
#
# | claim | value | holds when |
# |---|---|---|
# | C19 | $r_\text{U-Net}(0.5) / r_\text{FC}(0.5)$ | $< 1$ |
# | C20 | channel-statistics distance of no-BN outputs over that of BN outputs, $\hat a$ at $\alpha = 0.5$; with a second condition | $> 1.5$ **and** the no-BN outputs' high-frequency energy at most that of the clean images |
# | C21 | $\lvert r_1(0.5) - r_8(0.5)\rvert / r_8(0.5)$: batch 1 against batch 8, each trained and evaluated at its own batch size on as many images | $< 0.2$ ("about as well") |
# | C22 | $e_\text{no BN} / e_\text{BN}$, output-layer representation of held-out images | between $1/1.5$ and $1.5$ |
# | C23 | SW(samples in eval mode, held-out) / SW(samples in train mode, held-out); with a second condition | $> 1$ **and** $r_\text{eval}(0.5) > r_\text{train}(0.5)$ |
#
# Why these. C19's "better" is read as a smaller $r$ at the essay's usual $\alpha = 0.5$. C20's
# "not noisy" is read against the data: outputs with no more pixel-scale energy than real images
# carry no visible noise; "statistically quite different" is read as a 1.5-fold larger error of the
# channel statistics than with batch norm. C21's "about as well" is a 20% band. C22's "more or less
# equivalent" is a factor 1.5 either way. C23's "breaks" is read minimally, as "worse in both
# respects"; the sizes of the differences are reported next to the verdict.
#
# Which batch a model sees is part of its computation when it is in train mode. Here every model
# with batch norm is evaluated in train mode on consecutive groups of as many held-out images as
# it was trained with (`aelib.batchnorm.Grouped`; chapters {ref}`identity` and {ref}`denoising`
# passed all evaluation images as one batch, so their numbers for the same models differ slightly).
# No model's running statistics are changed by any of this, and the evaluation-mode experiments of
# C23 run on a copy.

# %%
ALPHAS = (0.9, 0.7, 0.5, 0.3)
ALPHA = 0.5                                      # the alpha of every verdict
C19_THRESHOLD = "< 1"
C20_STAT_FACTOR, C20_HF_FACTOR = 1.5, 1.0
C20_THRESHOLD = f"> {C20_STAT_FACTOR:g} (stat distance, no BN / BN); and HF(no-BN outputs) / HF(data) <= {C20_HF_FACTOR:g}"
C21_THRESHOLD = "< 0.2"
C22_LOW, C22_HIGH = 1 / 1.5, 1.5
C22_THRESHOLD = f"between {C22_LOW:.3f} and {C22_HIGH:g}"
C23_THRESHOLD = "> 1 (SW eval / SW train); and r_eval(0.5) > r_train(0.5)"

# %% [markdown]
# ## The models
#
# From the shared cache: the no-skip U-Net (`unet`, batch norm after every convolution) and the
# fully connected autoencoder (`fc`) of chapter {ref}`identity`. Trained here:
#
# - `unet_nobn`: the same U-Net with every batch norm removed (its convolutions get biases
#   instead), trained exactly like `unet`: same steps, batch, learning rate and seed;
# - `unet_b1` and `unet_b8`: the same U-Net *with* batch norm, trained with batches of one and of
#   eight images. **Budget:** both see the same number of training images, `bn_b1_steps` of the
#   profile, so the batch-1 model takes eight times as many optimiser steps. Equal images rather
#   than equal steps, because with equal steps the batch-1 model would see an eighth of the data
#   and any gap would be a gap in training, not in normalization. Both are shorter runs than
#   `unet`, whose 32-image batches see many more images; it is shown beside them for reference.
#
# Everything else (learning rate, seed, data, architecture) is shared.

# %%
B = P.batch_size
unet = ch.train("unet", ch.model_config("unet", skips="self"))
unet_eval = RunningStatistics(unet.model)       # eval-mode copy for C23, taken before anything else runs the model
fc_cfg = ch.model_config("fc")
fc = ch.train("fc", fc_cfg, ch.train_config(steps=P.fc_steps))
nobn = ch.train("unet_nobn", ch.model_config("unet", skips="self", batchnorm=False))
b1_cfg = dataclasses.replace(ch.train_config(steps=P.bn_b1_steps), batch_size=1,
                             checkpoint_every=max(P.checkpoint_every, P.bn_b1_steps // 4))
b1 = ch.train("unet_b1", ch.model_config("unet", skips="self"), b1_cfg)
b8_cfg = dataclasses.replace(ch.train_config(steps=max(1, P.bn_b1_steps // P.bn_ref_batch)),
                             batch_size=P.bn_ref_batch)
b8 = ch.train(f"unet_b{P.bn_ref_batch}", ch.model_config("unet", skips="self"), b8_cfg)
runs = {"unet": (unet, B), "unet_nobn": (nobn, B), "unet_b1": (b1, 1), f"unet_b{P.bn_ref_batch}": (b8, P.bn_ref_batch),
        "fc": (fc, B)}
pd.DataFrame({name: {"parameters": models.n_params(r.model), "batch": bs, "steps": r.steps, "images seen": r.steps * bs,
                     "from cache": r.hit} for name, (r, bs) in runs.items()}).T

# %%
fig = figures.loss_curves_by_images({name: (r.losses, bs) for name, (r, bs) in runs.items() if name != "fc"})
ch.figure(fig, "training_loss");

# %% [markdown]
# Training loss against the number of images seen (the FC model works at another resolution and is
# left out). The batch-1 and batch-8 runs stop at the same number of images.

# %%
a = ch.eval_images()
a_fc = ch.eval_images(fc_cfg.image_size)
O_unet, O_nobn, O_fc = Grouped(unet.model, B), nobn.model, Grouped(fc.model, B)

# %% [markdown]
# ## C19: the U-Net against the fully connected autoencoder
#
# The two models do not work at the same resolution at this profile: the FC autoencoder sees the
# held-out crops at `fc_image_size`, the U-Net at `image_size` (see the profile; at full resolution
# the FC model would cost many times more per image). Both are scored on the *same* held-out crops,
# each at its own resolution, with ratios that have no unit: $r$ and $k$ divide by the size of the
# corruption at that resolution, and the clean reconstruction error is relative to the image norm.
# The corruption has the same per-pixel statistics at both resolutions, so relative to the image's
# content the FC model's noise is coarser-grained; the numbers compare the two models as the
# profile runs them, not two architectures at equal resolution.

# %%
tables = {"U-Net": metrics.ratio_table(O_unet, a, ALPHAS, seed=600),
          "FC": metrics.ratio_table(O_fc, a_fc, ALPHAS, seed=600)}
pd.concat(tables, names=["model"]).round(3)

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.3))
for ax, col in zip(axes, ("r", "k")):
    for (name, t), color in zip(tables.items(), ("tab:blue", "tab:orange")):
        ax.plot(t.index, t[col], "o-", color=color, label=f"{name}, essay's corruption")
        ax.plot(t.index, t[f"{col}_control"], "s:", color=color, label=f"{name}, zero-mean control")
    ax.axhline(1.0, color="grey", lw=0.7)
    ax.set_xlabel("alpha (1 = clean)")
    ax.set_title({"r": "denoise ratio r = |O(a_hat) - a| / |a_hat - a|",
                  "k": "noise gain k = |O(a_hat) - O(a)| / |a_hat - a|"}[col], fontsize=9)
axes[0].legend(fontsize=7)
fig.tight_layout()
ch.figure(fig, "unet_vs_fc_ratios");

# %%
a_hat = corruption.corrupt(a, ALPHA, generator=ch.generator(602))
a_hat_fc = F.interpolate(a_hat, size=fc_cfg.image_size, mode="area")   # the same corrupted crops, downsized
up = lambda x: F.interpolate(x, size=P.image_size, mode="nearest")      # noqa: E731 (display only)
with torch.no_grad():
    fig = figures.image_rows({"clean a": a, f"a_hat (alpha={ALPHA})": a_hat, "U-Net O(a_hat)": O_unet(a_hat),
                              "FC O(a_hat)": up(O_fc(a_hat_fc)), "FC input (its size)": up(a_hat_fc)}, n=10)
ch.figure(fig, "unet_vs_fc_images");

# %% [markdown]
# The FC rows are enlarged from the FC model's resolution for display (pixel repetition). For the
# figure only, the FC model gets the U-Net's corrupted crops downsized; the table corrupts each
# resolution with its own noise draw.

# %%
r_unet, r_fc = float(tables["U-Net"].loc[ALPHA, "r"]), float(tables["FC"].loc[ALPHA, "r"])
c19_value = r_unet / r_fc
ch.record("C19", c19_value, C19_THRESHOLD, measure=f"r(U-Net) / r(FC) at alpha = {ALPHA}, held-out, each model at "
          f"its own resolution ({P.image_size} and {fc_cfg.image_size})", figure="unet_vs_fc_ratios",
          details={f"r_{m}({x})": float(t.loc[x, "r"]) for m, t in tables.items() for x in ALPHAS}
          | {f"k_{m}({x})": float(t.loc[x, "k"]) for m, t in tables.items() for x in ALPHAS}
          | {f"r_control_{m}(0.5)": float(t.loc[ALPHA, "r_control"]) for m, t in tables.items()}
          | {f"recon_{m}": float(t["recon"].iloc[0]) for m, t in tables.items()})
c19_per_alpha = ", ".join(f"{'lower' if tables['U-Net'].loc[x, 'r'] < tables['FC'].loc[x, 'r'] else 'higher'} at {x}"
                          for x in ALPHAS)
for key, val in {"c19_value": c19_value, "c19_r_unet": r_unet, "c19_r_fc": r_fc,
                 "c19_k_unet": float(tables["U-Net"].loc[ALPHA, "k"]), "c19_k_fc": float(tables["FC"].loc[ALPHA, "k"]),
                 "c19_recon_unet": float(tables["U-Net"]["recon"].iloc[0]),
                 "c19_recon_fc": float(tables["FC"]["recon"].iloc[0]),
                 "c19_rc_unet": float(tables["U-Net"].loc[ALPHA, "r_control"]),
                 "c19_rc_fc": float(tables["FC"].loc[ALPHA, "r_control"])}.items():
    ch.glue(key, val)
ch.glue("c19_per_alpha", c19_per_alpha);

# %% [markdown]
# ## C20: without batch norm, clean but off
#
# The U-Net without batch norm, next to the one with it, on the same corrupted held-out images. The
# statistics compare each output with the clean image it should reproduce: high-frequency energy
# (is there noise?), channel statistics and the colour histograms (are brightness, contrast and
# colour right?). The colour distance is the 1-D Wasserstein distance between the pixel values of
# output and original, per channel, in units of pixel value.
#
# The essay also blurred its inputs with a Gaussian kernel (torchvision's `GaussianBlur`, kernel 19,
# $\sigma = 8$, on 128×128 landscapes) and found that the model without batch norm still sharpens
# them. We scale kernel and $\sigma$ by `image_size / 128`, which keeps the blur's extent as a
# fraction of the image and its truncation at the same multiple of $\sigma$; the ratio reported is
# $r$ with blurring as the corruption, $\lVert O(b(a)) - a\rVert / \lVert b(a) - a\rVert$.

# %%
blur = EssayBlur(ref_size=P.bn_blur_ref_size)
kernel, sigma = blur.scaled(P.image_size)
print(f"blur at {P.image_size}x{P.image_size}: kernel {kernel}, sigma {sigma:g}")
nobn_table = metrics.ratio_table(O_nobn, a, ALPHAS, seed=600)
pd.concat({"with BN": tables["U-Net"], "without BN": nobn_table}, names=["model"]).round(3)

# %%
with torch.no_grad():
    a_blur = blur(a)
    outs = {"clean images a": a, f"a_hat (alpha={ALPHA})": a_hat,
            "with BN: O(a_hat)": O_unet(a_hat), "without BN: O(a_hat)": O_nobn(a_hat),
            "with BN: O(a)": O_unet(a), "without BN: O(a)": O_nobn(a)}
stat_rows = {}
for name, x in outs.items():
    stat_rows[name] = {"high-frequency energy": float(batchnorm.high_freq_energy(x).median()),
                       "channel-statistics distance to a": float(batchnorm.channel_stat_distance(x, a).median()),
                       "colour distance to a": float(batchnorm.colour_distance(x, a).median())}
stats = pd.DataFrame(stat_rows).T
deblur = {"with BN": float(blur.restoration_ratio(O_unet, a).median()),
          "without BN": float(blur.restoration_ratio(O_nobn, a).median())}
stats.round(4)

# %%
pd.Series(deblur, name=f"r for the blur (kernel {kernel}, sigma {sigma:g})").round(3)

# %%
s_a, s_bn, s_nobn = (batchnorm.channel_stats(x) for x in (a, outs["with BN: O(a_hat)"], outs["without BN: O(a_hat)"]))
s_hat = batchnorm.channel_stats(a_hat)
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
colors = ("tab:red", "tab:green", "tab:blue")
for j, (ax, what) in enumerate(zip(axes[:2], ("mean", "standard deviation"))):
    lo, hi = float(s_a[..., j].min()), float(s_a[..., j].max())
    ax.plot([lo, hi], [lo, hi], color="grey", lw=0.8, label="output = original")
    ax.scatter(s_a[..., j].flatten(), s_hat[..., j].flatten(), s=7, color="lightgrey", label="a_hat (input)")
    ax.scatter(s_a[..., j].flatten(), s_bn[..., j].flatten(), s=9, color="tab:blue", label="with BN")
    ax.scatter(s_a[..., j].flatten(), s_nobn[..., j].flatten(), s=9, color="tab:orange", marker="x",
               label="without BN")
    ax.set_xlabel(f"channel {what} of the clean image")
    ax.set_ylabel(f"channel {what} of the output")
    ax.set_title(f"per-image, per-channel {what} (alpha = {ALPHA})", fontsize=9)
axes[0].legend(fontsize=7)
names = ["clean images a", f"a_hat (alpha={ALPHA})", "with BN: O(a_hat)", "without BN: O(a_hat)"]
axes[2].bar(range(len(names)), [stats.loc[n, "high-frequency energy"] for n in names],
            color=["grey", "lightgrey", "tab:blue", "tab:orange"])
axes[2].axhline(stats.loc["clean images a", "high-frequency energy"], color="k", ls=":", lw=0.8)
axes[2].set_xticks(range(len(names)), ["data a", "input a_hat", "with BN", "without BN"], fontsize=8)
axes[2].set_yscale("log")
axes[2].set_ylabel("median finest-band energy")
axes[2].set_title("high-frequency energy (noise and detail)", fontsize=9)
fig.tight_layout()
ch.figure(fig, "nobn_statistics");

# %% [markdown]
# Left and middle: every dot is one colour channel of one held-out image; on the grey line the
# output has exactly the channel mean (or contrast) of its clean original. Right: the energy of the
# finest pyramid band, on a log scale; the dotted line is the clean images'.

# %%
with torch.no_grad():
    fig = figures.image_rows({"clean a": a, f"a_hat (alpha={ALPHA})": a_hat,
                              "with BN": outs["with BN: O(a_hat)"], "without BN": outs["without BN: O(a_hat)"],
                              "blurred b(a)": a_blur, "with BN: O(b(a))": O_unet(a_blur),
                              "without BN: O(b(a))": O_nobn(a_blur)}, n=10)
ch.figure(fig, "nobn_denoising");

# %%
d_bn = stats.loc["with BN: O(a_hat)", "channel-statistics distance to a"]
d_nobn = stats.loc["without BN: O(a_hat)", "channel-statistics distance to a"]
hf_ratio = stats.loc["without BN: O(a_hat)", "high-frequency energy"] / stats.loc["clean images a", "high-frequency energy"]
c20_value = float(d_nobn / d_bn)
c20_verdict = bool(c20_value > C20_STAT_FACTOR and hf_ratio <= C20_HF_FACTOR)
ch.record("C20", c20_value, C20_THRESHOLD, c20_verdict,
          measure=f"median channel mean/std distance of O(a_hat) from a, no-BN U-Net / BN U-Net, alpha = {ALPHA}; "
          "and finest-band energy of no-BN outputs / that of the clean images", figure="nobn_statistics",
          details={"stat_distance_bn": float(d_bn), "stat_distance_nobn": float(d_nobn), "hf_ratio_nobn": float(hf_ratio),
                   "hf_ratio_bn": float(stats.loc["with BN: O(a_hat)", "high-frequency energy"]
                                        / stats.loc["clean images a", "high-frequency energy"]),
                   "colour_distance_bn": float(stats.loc["with BN: O(a_hat)", "colour distance to a"]),
                   "colour_distance_nobn": float(stats.loc["without BN: O(a_hat)", "colour distance to a"]),
                   "r_bn(0.5)": r_unet, "r_nobn(0.5)": float(nobn_table.loc[ALPHA, "r"]),
                   "recon_nobn": float(nobn_table["recon"].iloc[0]),
                   "deblur_r_bn": deblur["with BN"], "deblur_r_nobn": deblur["without BN"],
                   "blur_kernel": kernel, "blur_sigma": sigma})
for key, val in {"c20_value": c20_value, "c20_hf": float(hf_ratio), "c20_d_bn": float(d_bn), "c20_d_nobn": float(d_nobn),
                 "c20_col_bn": float(stats.loc["with BN: O(a_hat)", "colour distance to a"]),
                 "c20_col_nobn": float(stats.loc["without BN: O(a_hat)", "colour distance to a"]),
                 "c20_r_nobn": float(nobn_table.loc[ALPHA, "r"]), "c20_rc_nobn": float(nobn_table.loc[ALPHA, "r_control"]),
                 "c20_recon_nobn": float(nobn_table["recon"].iloc[0]),
                 "c20_deblur_bn": deblur["with BN"], "c20_deblur_nobn": deblur["without BN"],
                 "blur_sigma": sigma}.items():
    ch.glue(key, val)
ch.glue("blur_kernel", str(kernel))
ch.glue("c20_verdict", "holds" if c20_verdict else "does not hold");

# %% [markdown]
# ## C21: batches of one image
#
# With a batch of one, each batch norm computes its mean and variance over the positions of a
# single image, much like instance normalization. The batch-1 model is trained that way and
# evaluated that way, one held-out image at a time; the batch-8 model is trained and evaluated in
# groups of eight. As a cross-check that costs no training, the standard-batch `unet` is also evaluated
# one image at a time, i.e. with statistics it never saw in training.

# %%
bs_tables = {"batch 1": metrics.ratio_table(Grouped(b1.model, 1), a, ALPHAS, seed=600),
             f"batch {P.bn_ref_batch}": metrics.ratio_table(Grouped(b8.model, P.bn_ref_batch), a, ALPHAS, seed=600),
             f"batch {B} (unet, reference)": tables["U-Net"],
             f"batch {B}, evaluated one by one": metrics.ratio_table(Grouped(unet.model, 1), a, ALPHAS, seed=600)}
pd.concat(bs_tables, names=["training batch"]).round(3)

# %%
fig, ax = plt.subplots(figsize=(6.2, 3.4))
for (name, t), style in zip(bs_tables.items(), ("o-", "s-", "^--", "v:")):
    ax.plot(t.index, t["r"], style, label=name)
ax.axhline(1.0, color="grey", lw=0.7)
ax.set_xlabel("alpha (1 = clean)")
ax.set_ylabel("r = |O(a_hat) - a| / |a_hat - a|")
ax.legend(fontsize=8)
fig.tight_layout()
ch.figure(fig, "batch1_ratios");

# %%
with torch.no_grad():
    fig = figures.image_rows({"clean a": a, f"a_hat (alpha={ALPHA})": a_hat,
                              "batch 1": Grouped(b1.model, 1)(a_hat),
                              f"batch {P.bn_ref_batch}": Grouped(b8.model, P.bn_ref_batch)(a_hat),
                              f"batch {B} (unet)": O_unet(a_hat)}, n=10)
ch.figure(fig, "batch1_denoising");

# %%
r_1 = float(bs_tables["batch 1"].loc[ALPHA, "r"])
r_8 = float(bs_tables[f"batch {P.bn_ref_batch}"].loc[ALPHA, "r"])
c21_value = abs(r_1 - r_8) / r_8
ch.record("C21", c21_value, C21_THRESHOLD,
          measure=f"|r_1 - r_{P.bn_ref_batch}| / r_{P.bn_ref_batch} at alpha = {ALPHA}; each model trained on "
          f"{P.bn_b1_steps} images and evaluated at its own batch size", figure="batch1_ratios",
          details={f"r_{k}({x})": float(t.loc[x, "r"]) for k, t in bs_tables.items() for x in ALPHAS}
          | {f"recon_{k}": float(t["recon"].iloc[0]) for k, t in bs_tables.items()}
          | {f"r_control_{k}(0.5)": float(t.loc[ALPHA, "r_control"]) for k, t in bs_tables.items()}
          | {"images_seen": P.bn_b1_steps, "b1_steps": b1.steps, "b8_steps": b8.steps})
ref32 = bs_tables[f"batch {B}, evaluated one by one"]
for key, val in {"c21_value": c21_value, "c21_r1": r_1, "c21_r8": r_8,
                 "c21_recon1": float(bs_tables["batch 1"]["recon"].iloc[0]),
                 "c21_recon8": float(bs_tables[f"batch {P.bn_ref_batch}"]["recon"].iloc[0]),
                 "c21_rc1": float(bs_tables["batch 1"].loc[ALPHA, "r_control"]),
                 "c21_rc8": float(bs_tables[f"batch {P.bn_ref_batch}"].loc[ALPHA, "r_control"]),
                 "c21_r32": r_unet, "c21_r32_single": float(ref32.loc[ALPHA, "r"])}.items():
    ch.glue(key, val)
ch.glue("c21_images", f"{P.bn_b1_steps:,}")
ch.glue("ref_batch", str(P.bn_ref_batch))
ch.glue("batch", str(B))

# %% [markdown]
# ## C22: representation with and without batch norm
#
# The output layer's input representation (chapter {ref}`denoising`) of the same held-out targets,
# by the U-Net with batch norm (train mode, the targets forming one batch, running statistics
# untouched) and by the one without.

# %%
rep_cfg = ch.representation_config()
targets = a[:P.rep_targets]
rec = max(1, rep_cfg.steps // 50)
a_g_bn, loss_bn = represent(Grouped(unet.model, len(targets)), targets, rep_cfg, record_every=rec)
a_g_nobn, loss_nobn = represent(nobn.model, targets, rep_cfg, record_every=rec)
e_bn = metrics.representation_error(a_g_bn, targets)
e_nobn = metrics.representation_error(a_g_nobn, targets)
print(f"e(with BN) = {e_bn:.3f}, e(without BN) = {e_nobn:.3f}")

# %%
fig = figures.image_rows({"target a": targets, "a_g, with BN": a_g_bn, "a_g, without BN": a_g_nobn},
                         n=min(8, len(targets)))
ch.figure(fig, "representation_bn");

# %%
fig = figures.representation_loss({"with BN": loss_bn, "without BN": loss_nobn}, every=rec)
ch.figure(fig, "representation_loss_bn");

# %%
c22_value = e_nobn / e_bn
c22_verdict = bool(C22_LOW <= c22_value <= C22_HIGH)
ch.record("C22", c22_value, C22_THRESHOLD, c22_verdict, measure="e(no-BN U-Net) / e(BN U-Net), output layer, "
          "held-out targets", figure="representation_bn",
          details={"e_bn": e_bn, "e_nobn": e_nobn, "rep_steps": rep_cfg.steps, "targets": len(targets),
                   "final_loss_bn": loss_bn[-1] if loss_bn else None,
                   "final_loss_nobn": loss_nobn[-1] if loss_nobn else None})
for key, val in {"c22_value": c22_value, "c22_e_bn": e_bn, "c22_e_nobn": e_nobn}.items():
    ch.glue(key, val)

# %% [markdown]
# ## C23: training mode against evaluation mode
#
# The same trained `unet`, once as everywhere else (train mode: each batch norm uses the statistics
# of the batch in front of it) and once as a copy in evaluation mode (each batch norm uses the
# running averages collected over the clean training batches). Two tests: denoising the corrupted
# held-out images, and sampling with the iterated denoise-and-renoise chain of the essay's
# "diffusion with no diffusion" section (chapter {ref}`diffusion`, whose sampler `aelib.sampler` is
# used here unchanged),
#
# $$a_0 \sim \mathcal N(0.7, 0.2^2), \qquad a_{n+1} = \tfrac{n}{N}\, O(a_n) + \big(1 - \tfrac{n}{N}\big)\, \mathcal N(0.7, 0.2^2),
# \qquad n = 0, \dots, N-1,$$
#
# keeping $O(a_N)$ as the sample. Both runs start from the same noise and draw the same fresh
# noise. In train mode, the chains of one batch of `bn_sample_batch` share statistics.

# %%
eval_table = metrics.ratio_table(unet_eval, a, ALPHAS, seed=600)
mode_tables = {"train mode": tables["U-Net"], "eval mode": eval_table}
pd.concat(mode_tables, names=["BatchNorm"]).round(3)

# %%
s_cfg = SamplerConfig(steps=P.bn_sample_steps, n_samples=P.bn_samples, batch_size=P.bn_sample_batch,
                      frame_every=P.bn_sample_steps)
shape = (3, P.image_size, P.image_size)
samples = {mode: sample(O, shape, s_cfg, ch.generator(610), device=ch.device).final.to(ch.device)
           for mode, O in (("train mode", Grouped(unet.model, P.bn_sample_batch)), ("eval mode", unet_eval))}
sw_cfg = ch.sw_config()
ref = ch.data.to_float(ch.data.heldout[len(a):]).to(ch.device)    # held-out images other than a
noise = corruption.noise_like(samples["train mode"], generator=ch.generator(611))
sw = {name: metrics.sw_distance(x, ref, sw_cfg) for name, x in samples.items()}
sw["pure noise"] = metrics.sw_distance(noise, ref, sw_cfg)
sw["held-out images (floor)"] = metrics.sw_distance(a[:P.bn_samples], ref, sw_cfg)
spread = {name: float(x.flatten(1).std(dim=0).mean()) for name, x in samples.items()}
pd.DataFrame({"SW to held-out": sw, "spread across samples": spread | {"held-out images (floor)": float(
    a.flatten(1).std(dim=0).mean())}}).round(3)

# %%
fig = figures.image_rows({"train mode": samples["train mode"], "eval mode": samples["eval mode"],
                          "held-out images": a}, n=10)
ch.figure(fig, "train_vs_eval_samples");

# %%
with torch.no_grad():
    fig = figures.image_rows({"clean a": a, f"a_hat (alpha={ALPHA})": a_hat, "train mode": O_unet(a_hat),
                              "eval mode": unet_eval(a_hat)}, n=10)
ch.figure(fig, "train_vs_eval_denoising");

# %% [markdown]
# Every SW is measured against the held-out images that are not among the evaluation images
# $a$; the "floor" row scores the evaluation images themselves against them. "Spread" is the
# standard deviation across samples, averaged over pixels (a model that always returns one image
# has a spread of zero, and can still sit close to the data on average).

# %%
r_train, r_eval = r_unet, float(eval_table.loc[ALPHA, "r"])
c23_value = sw["eval mode"] / sw["train mode"]
c23_verdict = bool(c23_value > 1 and r_eval > r_train)
ch.record("C23", c23_value, C23_THRESHOLD, c23_verdict,
          measure=f"SW(eval-mode samples, held-out) / SW(train-mode samples, held-out), N = {s_cfg.steps}; "
          f"and r at alpha = {ALPHA}, eval vs train mode", figure="train_vs_eval_samples",
          details={"sw_train": sw["train mode"], "sw_eval": sw["eval mode"], "sw_noise": sw["pure noise"],
                   "sw_floor": sw["held-out images (floor)"], "r_train(0.5)": r_train, "r_eval(0.5)": r_eval,
                   "r_control_train(0.5)": float(tables["U-Net"].loc[ALPHA, "r_control"]),
                   "r_control_eval(0.5)": float(eval_table.loc[ALPHA, "r_control"]),
                   "recon_train": float(tables["U-Net"]["recon"].iloc[0]), "recon_eval": float(eval_table["recon"].iloc[0]),
                   "spread_train": spread["train mode"], "spread_eval": spread["eval mode"],
                   "sampler_steps": s_cfg.steps, "samples": P.bn_samples, "sample_batch": P.bn_sample_batch})
for key, val in {"c23_value": c23_value, "c23_r_train": r_train, "c23_r_eval": r_eval,
                 "c23_rc_train": float(tables["U-Net"].loc[ALPHA, "r_control"]),
                 "c23_rc_eval": float(eval_table.loc[ALPHA, "r_control"]),
                 "c23_sw_train": sw["train mode"], "c23_sw_eval": sw["eval mode"], "c23_sw_noise": sw["pure noise"],
                 "c23_sw_floor": sw["held-out images (floor)"],
                 "c23_recon_eval": float(eval_table["recon"].iloc[0])}.items():
    ch.glue(key, val)
ch.glue("c23_verdict", "holds" if c23_verdict else "does not hold")
ch.glue("sample_steps", str(s_cfg.steps))
print(f"chapter time so far: {ch.elapsed():.0f} s")
pd.DataFrame(ch.ledger.records.values())[["id", "value", "threshold", "verdict", "measure"]]

# %% [markdown]
# ## What the numbers say
#
# - **C19.** At $\alpha = 0.5$ the U-Net's denoise ratio is {glue:text}`c19_r_unet:.2f` and the
#   fully connected autoencoder's {glue:text}`c19_r_fc:.2f`: a ratio of {glue:text}`c19_value:.2f`
#   (threshold: below 1). Compared with the FC model's, the U-Net's $r$ is {glue:text}`c19_per_alpha`. Their noise
#   gains are {glue:text}`c19_k_unet:.2f` and {glue:text}`c19_k_fc:.2f`, their clean reconstruction
#   errors {glue:text}`c19_recon_unet:.2f` and {glue:text}`c19_recon_fc:.2f`. Against zero-mean noise
#   of the same size, $r$ is {glue:text}`c19_rc_unet:.2f` (U-Net) and {glue:text}`c19_rc_fc:.2f` (FC).
# - **C20.** Without batch norm the outputs' channel statistics are {glue:text}`c20_d_nobn:.3f` away
#   from those of the clean images, with batch norm {glue:text}`c20_d_bn:.3f`: a ratio of
#   {glue:text}`c20_value:.2f` (threshold: above 1.5). The colour distances are
#   {glue:text}`c20_col_nobn:.3f` and {glue:text}`c20_col_bn:.3f`. The no-BN outputs carry
#   {glue:text}`c20_hf:.3g` times the high-frequency energy of the clean images (threshold: at most
#   1). Together the claim {glue:text}`c20_verdict` at this profile. Without batch norm $r(0.5)$ is
#   {glue:text}`c20_r_nobn:.2f` ({glue:text}`c20_rc_nobn:.2f` for zero-mean noise), with a clean
#   reconstruction error of {glue:text}`c20_recon_nobn:.2f`. On the blur test (kernel
#   {glue:text}`blur_kernel`, $\sigma$ = {glue:text}`blur_sigma:.1f`) $r$ is
#   {glue:text}`c20_deblur_bn:.2f` with and {glue:text}`c20_deblur_nobn:.2f` without batch norm.
# - **C21.** Trained on {glue:text}`c21_images` images each, the batch-1 model reaches
#   $r(0.5)$ = {glue:text}`c21_r1:.2f` and the batch-{glue:text}`ref_batch` model
#   {glue:text}`c21_r8:.2f`: they differ by {glue:text}`c21_value:.2f` of the latter (threshold:
#   below 0.2). Their clean reconstruction errors are {glue:text}`c21_recon1:.2f` and
#   {glue:text}`c21_recon8:.2f`; against zero-mean noise, $r$ is {glue:text}`c21_rc1:.2f` and
#   {glue:text}`c21_rc8:.2f`. The longer-trained batch-{glue:text}`batch` `unet` reaches
#   {glue:text}`c21_r32:.2f`, and {glue:text}`c21_r32_single:.2f` when it is fed one image at a time.
# - **C22.** The representation error is {glue:text}`c22_e_bn:.3f` with batch norm and
#   {glue:text}`c22_e_nobn:.3f` without: a ratio of {glue:text}`c22_value:.2f` (threshold: between
#   0.67 and 1.5).
# - **C23.** In evaluation mode the samples ({glue:text}`sample_steps` steps of the sampler) are
#   at SW {glue:text}`c23_sw_eval:.3f` from held-out images, in train mode at
#   {glue:text}`c23_sw_train:.3f`: a ratio of {glue:text}`c23_value:.2f` (threshold: above 1); pure
#   noise sits at {glue:text}`c23_sw_noise:.3f` and held-out images themselves at
#   {glue:text}`c23_sw_floor:.3f`. The denoise ratio $r(0.5)$ is {glue:text}`c23_r_eval:.2f` in
#   evaluation mode against {glue:text}`c23_r_train:.2f` in train mode ({glue:text}`c23_rc_eval:.2f`
#   against {glue:text}`c23_rc_train:.2f` for zero-mean noise; the clean reconstruction error in
#   evaluation mode is {glue:text}`c23_recon_eval:.2f`). Together the claim
#   {glue:text}`c23_verdict` at this profile.
#
# The verdicts are in the table on the first page. The essay's models were four-level U-Nets with
# 64 to 1024 feature maps trained for hundreds of epochs on landscapes at 128² and up; here they
# are two-level U-Nets trained for minutes on a CPU, so every verdict is a measurement at this
# scale.
#
# ## References
#
# - B. L. Badger, *Autoencoders: Learning by Copying*, blbadger.github.io (section on the role of
#   batch normalization).
# - S. Ioffe, C. Szegedy, *Batch Normalization: Accelerating Deep Network Training by Reducing
#   Internal Covariate Shift*, ICML 2015.
# - D. Ulyanov, A. Vedaldi, V. Lempitsky, *Instance Normalization: The Missing Ingredient for Fast
#   Stylization*, arXiv:1607.08022, 2016.
# - T. Karras, T. Aila, S. Laine, J. Lehtinen, *Progressive Growing of GANs for Improved Quality,
#   Stability, and Variation*, ICLR 2018 (sliced Wasserstein on Laplacian pyramids).
# - Z. Kadkhodaie, E. P. Simoncelli, *Stochastic Solutions for Linear Inverse Problems using the
#   Prior Implicit in a Denoiser*, NeurIPS 2021 (the closest published relative of the sampler).
