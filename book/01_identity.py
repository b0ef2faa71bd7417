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
# (identity)=
# # Overcomplete autoencoders do not learn the identity
#
# An autoencoder is trained to make its output $O(a) = D(E(a))$ equal to its input $a$. If
# every layer is at least as wide as the input, nothing in the architecture stops it from
# learning the identity map, which would be a perfect solution of the training objective. The
# essay's first observation is that gradient descent does not find that solution: a fully
# connected autoencoder whose hidden layers are all wider than the input, trained with mean
# squared error, returns a *cleaner* image when given a corrupted one (essay, section
# "Overcomplete autoencoders do not learn the identity function").
#
# **A word on words.** The essay says that a model which learns the identity has "memorized"
# its inputs. Much of the literature uses the word the other way round: Zhang et al. (2020)
# call a network trained on one example a *memorizer* when it maps every input to that example
# (the constant map) and a *generalizer* when it learns the identity. To avoid the clash, this
# book says **copies** (behaves like the identity: the corruption passes through) and
# **memorizes** only in Zhang et al.'s sense (returns stored training images).
#
# This chapter measures three claims:
#
# - **C1** the overcomplete fully connected autoencoder does not learn the identity;
# - **C2** it denoises held-out images;
# - **C3** a U-Net that keeps its encoder-to-decoder skip connections copies far more than the
#   same U-Net without them, which is why the essay removes them.

# %% tags=["parameters"]
PROFILE = "cpu"

# %%
import matplotlib.pyplot as plt
import pandas as pd
import torch

import aelib.chapter
from aelib import corruption, figures, metrics, models

ch = aelib.chapter.start("01_identity", PROFILE)
P = ch.profile
print(ch.data.describe())

# %% [markdown]
# ## Thresholds, fixed before the first run
#
# The ratios are medians over the held-out images (see the notation on the first page):
# denoise ratio $r$, identity gap $g$ and noise gain $k$. The corruption mixes each image with
# $\mathcal N(0.7, 0.2^2)$ noise at weight $1-\alpha$.
#
# | claim | value | holds when |
# |---|---|---|
# | C1 | the smallest identity gap $g(\alpha)$ over $\alpha \in \{0.9, 0.7, 0.5\}$ | $\min_\alpha g \ge 0.5$: the output is at least half as far from the input as the corruption moved it |
# | C2 | the largest denoise ratio $r(\alpha)$ over the same $\alpha$ | $\max_\alpha r < 1$: closer to the clean image than the input, at every $\alpha$ |
# | C3 | noise gain of the skip U-Net over that of the no-skip U-Net, $k_\text{skip}/k_\text{no-skip}$ at $\alpha = 0.5$ | $\ge 2$ |
#
# We use the noise gain $k$ rather than $g$ for C3: $g$ is large for any model that
# reconstructs badly, whatever it does with the corruption, while $k$ is 1 for the identity and
# 0 for a map that ignores the corruption, independently of reconstruction quality.
# Every ratio is reported next to the clean reconstruction error, and the per-$\alpha$ values are
# kept, so that a reader can see whether corruption or reconstruction error decides a verdict.

# %%
ALPHAS = (0.9, 0.7, 0.5)
C1_THRESHOLD = ">= 0.5"
C2_THRESHOLD = "< 1"
C3_THRESHOLD = ">= 2"

# %% [markdown]
# ## The data
#
# Crops of the shipped photographs; the held-out crops come from photographs the models never
# see.

# %%
fig = figures.image_rows({"training": ch.data.to_float(ch.data.train[:10]),
                          "held-out": ch.data.to_float(ch.data.heldout[:10])}, n=10)
ch.figure(fig, "data_samples");

# %% [markdown]
# ## The overcomplete fully connected autoencoder
#
# Five hidden layers, each wider than the input by the essay's factor of 1.3 (4000 hidden
# units for a 3×32×32 input in the essay). In the essay's code five of these layers were kept in
# a plain Python list, so they were neither trained nor saved; here every layer is a registered
# module and trains. At the `cpu` profile the model works at a lower resolution than the U-Nets
# (see the profile below), because at 32×32 it would cost about fifteen times as much per image.
# Adam with a constant learning rate; the essay used $10^{-4}$ and trained for up to 1000 epochs,
# the CPU profiles use a larger rate to converge within minutes.

# %%
fc_cfg = ch.model_config("fc")
fc = ch.train("fc", fc_cfg, ch.train_config(steps=P.fc_steps))
print(f"FC autoencoder: {models.n_params(fc.model):,} parameters, input {fc_cfg.image_size}x{fc_cfg.image_size}, "
      f"width {fc_cfg.width}, {fc_cfg.n_hidden} hidden layers, {fc.steps} steps "
      f"({'loaded from cache' if fc.hit else 'trained'})")
a_fc = ch.eval_images(fc_cfg.image_size)

# %%
fc_table = metrics.ratio_table(fc.model, a_fc, ALPHAS, seed=100)
fc_table.round(3)

# %% [markdown]
# Columns: `r`, `g`, `k` as defined above; `recon` is the clean reconstruction error
# $\lVert O(a)-a\rVert/\lVert a\rVert$ and `corruption` is $\lVert \hat a-a\rVert/\lVert a\rVert$;
# the control columns replace the essay's corruption by zero-mean white noise of the same size.

# %%
g = ch.generator(7)
rows = {"clean a": a_fc}
for alpha in ALPHAS:
    a_hat = corruption.corrupt(a_fc, alpha, generator=g)
    with torch.no_grad():
        rows[f"a_hat, alpha={alpha}"] = a_hat
        rows[f"O(a_hat), alpha={alpha}"] = fc.model(a_hat)
fig = figures.image_rows(rows, n=10)
ch.figure(fig, "fc_denoising");

# %% [markdown]
# Rows alternate between corrupted inputs and the model's outputs, with the clean images on
# top (pixel values clipped to $[0,1]$, not rescaled per image as in the essay's figures, so
# that errors of brightness and contrast remain visible). This is the counterpart of the essay's
# first figure.

# %%
c1_value = float(fc_table["g"].min())
c2_value = float(fc_table["r"].max())
ch.record("C1", c1_value, C1_THRESHOLD, measure="min over alpha of g, FC autoencoder, held-out",
          figure="fc_denoising", details={f"g({a})": float(fc_table.loc[a, "g"]) for a in ALPHAS}
          | {f"k({a})": float(fc_table.loc[a, "k"]) for a in ALPHAS}
          | {"recon": float(fc_table["recon"].iloc[0])})
ch.record("C2", c2_value, C2_THRESHOLD, measure="max over alpha of r, FC autoencoder, held-out",
          figure="fc_denoising", details={f"r({a})": float(fc_table.loc[a, "r"]) for a in ALPHAS}
          | {f"r_control({a})": float(fc_table.loc[a, "r_control"]) for a in ALPHAS}
          | {"recon": float(fc_table["recon"].iloc[0])})
c2_per_alpha = ", ".join(f"{'holds' if fc_table.loc[a, 'r'] < 1 else 'fails'} at {a}" for a in ALPHAS)
ch.glue("c1_value", c1_value)
ch.glue("c2_value", c2_value)
ch.glue("c2_per_alpha", c2_per_alpha)
ch.glue("fc_recon", float(fc_table["recon"].iloc[0]))
ch.glue("fc_k05", float(fc_table.loc[0.5, "k"]))

# %% [markdown]
# ## The control: a U-Net with and without skip connections
#
# The U-Net of the next chapters has its encoder-to-decoder skip connections removed. Following
# the essay's code, each decoder block concatenates its upsampled tensor *with itself* where
# the original U-Net concatenated the encoder's feature map, which keeps every parameter shape of
# the original. The control is the same network with the skips restored; both are trained
# identically on the same crops.

# %%
fig = figures.unet_diagram(P.unet_depth, P.unet_base, P.image_size, skips="self")
ch.figure(fig, "unet_noskip_diagram");

# %% [markdown]
# The no-skip U-Net at this profile (the essay's has four levels and 64 to 1024 feature maps;
# both keep the bottleneck $h$ at 4/3 of the input's size). In the control, the red labels become
# connections from each encoder level to the decoder level of the same resolution.

# %%
unet = ch.train("unet", ch.model_config("unet", skips="self"))
skip = ch.train("unet_skips", ch.model_config("unet", skips="concat"))
a = ch.eval_images()
print(f"U-Net: {models.n_params(unet.model):,} parameters, base width {P.unet_base}, depth {P.unet_depth}; "
      f"latent h {tuple(unet.model.E(a[:1]).shape[1:])} vs input {tuple(a.shape[1:])}")

# %%
tables = {"no skips": metrics.ratio_table(unet.model, a, ALPHAS, seed=200),
          "skips": metrics.ratio_table(skip.model, a, ALPHAS, seed=200)}
unet_table = pd.concat(tables, names=["model"])
unet_table.round(3)

# %%
fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
for ax, col in zip(axes, ("r", "g", "k")):
    for name, t in tables.items():
        ax.plot(t.index, t[col], "o-", label=f"U-Net, {name}")
    ax.plot(fc_table.index, fc_table[col], "s--", label="FC autoencoder")
    ax.set_xlabel("alpha (1 = clean)")
    ax.set_title(col)
    ax.axhline(1.0, color="grey", lw=0.7)
axes[0].legend(fontsize=8)
fig.tight_layout()
ch.figure(fig, "ratios_vs_alpha");

# %%
g = ch.generator(11)
a_hat = corruption.corrupt(a, 0.5, generator=g)
with torch.no_grad():
    fig = figures.image_rows({"clean a": a, "a_hat (alpha=0.5)": a_hat,
                              "no skips": unet.model(a_hat), "with skips": skip.model(a_hat)}, n=10)
ch.figure(fig, "skip_vs_noskip");

# %%
fig = figures.loss_curves({"FC": fc.losses, "U-Net, no skips": unet.losses, "U-Net, skips": skip.losses})
ch.figure(fig, "training_loss");

# %%
k_skip, k_noskip = float(tables["skips"].loc[0.5, "k"]), float(tables["no skips"].loc[0.5, "k"])
c3_value = k_skip / max(k_noskip, 1e-12)
ch.record("C3", c3_value, C3_THRESHOLD, measure="k(skip U-Net) / k(no-skip U-Net) at alpha = 0.5",
          figure="skip_vs_noskip", details={"k_skip": k_skip, "k_noskip": k_noskip,
          "g_skip": float(tables["skips"].loc[0.5, "g"]), "g_noskip": float(tables["no skips"].loc[0.5, "g"]),
          "recon_skip": float(tables["skips"]["recon"].iloc[0]),
          "recon_noskip": float(tables["no skips"]["recon"].iloc[0])})
for key, val in {"c3_value": c3_value, "k_skip": k_skip, "k_noskip": k_noskip}.items():
    ch.glue(key, val)
pd.DataFrame(ch.ledger.records.values())[["id", "value", "threshold", "verdict", "measure"]]

# %% [markdown]
# ## What the numbers say
#
# - **C1.** The smallest identity gap of the fully connected autoencoder is
#   {glue:text}`c1_value:.2f` (threshold: at least 0.5). Its noise gain at $\alpha=0.5$ is
#   {glue:text}`fc_k05:.2f`: only that fraction of the corruption's size reaches the output.
# - **C2.** Its largest denoise ratio is {glue:text}`c2_value:.2f` (threshold: below 1); per
#   $\alpha$ the claim {glue:text}`c2_per_alpha`. Its clean reconstruction error is
#   {glue:text}`fc_recon:.2f` of the image norm: at light corruption that error, not the noise,
#   dominates $r$ (see the measurement notes in the table's columns).
# - **C3.** The skip U-Net passes {glue:text}`k_skip:.2f` of the corruption through, the no-skip
#   U-Net {glue:text}`k_noskip:.2f`: a ratio of {glue:text}`c3_value:.2f` (threshold: at least 2).
#
# The verdicts are in the table on the first page. At the `cpu` profile the models are small and
# trained for a few minutes; the essay's FC model had 104 million parameters and trained for
# hundreds of epochs on CIFAR-10, so a verdict here is a measurement at this scale.
#
# ## References
#
# - B. L. Badger, *Autoencoders: Learning by Copying*, blbadger.github.io.
# - C. Zhang, S. Bengio, M. Hardt, M. C. Mozer, Y. Singer, *Identity Crisis: Memorization and
#   Generalization under Extreme Overparameterization*, ICLR 2020.
# - O. Ronneberger, P. Fischer, T. Brox, *U-Net: Convolutional Networks for Biomedical Image
#   Segmentation*, MICCAI 2015.
