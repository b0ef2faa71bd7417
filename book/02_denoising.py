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
# (denoising)=
# # Autoencoders denoise without being trained to
#
# The essay's second section takes a U-Net, removes its encoder-to-decoder skip connections
# (chapter {ref}`identity` shows why), trains it only to copy clean images, and finds that it
# removes corruption it never saw in training. It ties this to the *input representation* of
# the output layer: the input $a_g$ that, fed to the trained model, gives the same output as the
# image $a$. An untrained network's representation of an image is the image buried in noise;
# after training the representation is much cleaner, as if training had taught the model to
# remove the noise its own layers put into what they "see".
#
# ## Input representation
#
# Given a target $a$ and the model $O$, start from $a_0 \sim \mathcal N(0.7, 0.05^2)$ and
# descend on the input:
#
# $$a_{i+1} = a_i - \eta\, \nabla_{a}\; s \sum \big|\, O(a) - O(a_i) \,\big|,$$
#
# with a constant step $\eta$ and a scale $s$ (the essay's values: $\eta = 0.1$, $s$ between
# 0.005 and 0.02, 500 to 1000 steps). If $O$ were invertible, $a_g$ would converge to $a$; every
# direction that $O$ cannot see is left wherever the random start and the descent put it.
# `aelib.representation` runs this for a whole batch of targets at once, with the model in train
# mode throughout (its batch norms use the statistics of the batch being represented).
#
# This chapter measures:
#
# - **C4** training makes the output layer's representation far less noisy;
# - **C5** the no-skip U-Net denoises held-out images from light to heavy corruption;
# - **C6** from pure noise it produces something image-like;
# - **C7** the representation of a *corrupted* input is nearer the clean image than the input;
# - **C8** a U-Net with a narrow MLP in its bottleneck still autoencodes and denoises, but
#   represents its input poorly.

# %% tags=["parameters"]
PROFILE = "cpu"

# %%
import pandas as pd
import torch

import aelib.chapter
from aelib import corruption, figures, metrics, models
from aelib.representation import represent
from aelib.seeding import set_seed

ch = aelib.chapter.start("02_denoising", PROFILE)
P = ch.profile
print(ch.data.describe())

# %% [markdown]
# ## Thresholds, fixed before the first run
#
# | claim | value | holds when |
# |---|---|---|
# | C4 | $e_\text{trained} / e_\text{untrained}$, output-layer representation of held-out images | $< 0.5$ |
# | C5 | the largest $r(\alpha)$ over $\alpha \in \{0.9, 0.7, 0.5, 0.3\}$ | $< 1$ |
# | C6 | sliced Wasserstein distance (pyramid patches) from outputs on pure noise to held-out images, over the same distance for the noise itself | $< 0.5$ |
# | C7 | $\lVert a_g(\hat a) - a\rVert / \lVert \hat a - a\rVert$ at $\alpha = 0.5$ | $< 1$ |
# | C8 | $e_\text{MLP} / e_\text{plain}$, with two side conditions | $> 2$, and the MLP U-Net's clean reconstruction error at most 1.5 × the plain U-Net's, and its $r(0.5) < 1$ |

# %%
ALPHAS = (0.9, 0.7, 0.5, 0.3)
C4_THRESHOLD = "< 0.5"
C5_THRESHOLD = "< 1"
C6_THRESHOLD = "< 0.5"
C7_ALPHA, C7_THRESHOLD = 0.5, "< 1"
C8_THRESHOLD, C8_RECON_FACTOR, C8_E_FACTOR = "> 2", 1.5, 2.0

# %% [markdown]
# ## The no-skip U-Net
#
# The same model as in chapter {ref}`identity` (it is loaded from the shared cache, not
# retrained). Its latent $h = E(a)$ has 4/3 as many numbers as the image, as in the essay's
# U-Net, so it is overcomplete too.

# %%
unet_cfg = ch.model_config("unet", skips="self")
unet = ch.train("unet", unet_cfg)
a = ch.eval_images()
print(f"{models.n_params(unet.model):,} parameters; {'loaded from cache' if unet.hit else 'trained'}; "
      f"h has {unet.model.E(a[:2])[0].numel()} numbers for an input of {a[0].numel()}")

# %% [markdown]
# ## C4: training cleans up the output layer's representation
#
# The same held-out targets are represented by the trained model and by an untrained copy with
# the same initialisation seed.

# %%
rep_cfg = ch.representation_config()
targets = a[:P.rep_targets]
a_g_trained, loss_trained = represent(unet.model, targets, rep_cfg, record_every=max(1, rep_cfg.steps // 50))
set_seed(P.seed)
untrained = models.build(unet_cfg).to(ch.device).train()
a_g_untrained, loss_untrained = represent(untrained, targets, rep_cfg, record_every=max(1, rep_cfg.steps // 50))
e_trained = metrics.representation_error(a_g_trained, targets)
e_untrained = metrics.representation_error(a_g_untrained, targets)
print(f"e(trained) = {e_trained:.3f}, e(untrained) = {e_untrained:.3f}")

# %%
fig = figures.image_rows({"target a": targets, "a_g, untrained": a_g_untrained, "a_g, trained": a_g_trained},
                         n=min(8, len(targets)))
ch.figure(fig, "representation_trained_untrained");

# %%
c4_value = e_trained / e_untrained
ch.record("C4", c4_value, C4_THRESHOLD, measure="e(trained) / e(untrained), no-skip U-Net output layer",
          figure="representation_trained_untrained",
          details={"e_trained": e_trained, "e_untrained": e_untrained, "rep_steps": rep_cfg.steps})
ch.glue("c4_value", c4_value)
ch.glue("e_trained", e_trained)
ch.glue("e_untrained", e_untrained)

# %% [markdown]
# ## C5: denoising from light to heavy corruption
#
# The table reports $r$, $g$, $k$ at each $\alpha$, the clean reconstruction error and the
# zero-mean Gaussian control (same RMS as the essay's corruption). Comparing `r` with
# `r_control` tells whether the model removes noise or mostly restores the contrast and mean
# that the essay's mixing takes away.

# %%
unet_table = metrics.ratio_table(unet.model, a, ALPHAS, seed=300)
unet_table.round(3)

# %%
g = ch.generator(5)
rows = {"clean a": a}
with torch.no_grad():
    for alpha in (0.7, 0.5, 0.3):
        a_hat = corruption.corrupt(a, alpha, generator=g)
        rows[f"a_hat, alpha={alpha}"] = a_hat
        rows[f"O(a_hat), alpha={alpha}"] = unet.model(a_hat)
fig = figures.image_rows(rows, n=10)
ch.figure(fig, "unet_denoising");

# %%
c5_value = float(unet_table["r"].max())
ch.record("C5", c5_value, C5_THRESHOLD, measure="max over alpha in {0.9..0.3} of r, no-skip U-Net, held-out",
          figure="unet_denoising", details={f"r({x})": float(unet_table.loc[x, "r"]) for x in ALPHAS}
          | {f"r_control({x})": float(unet_table.loc[x, "r_control"]) for x in ALPHAS}
          | {"recon": float(unet_table["recon"].iloc[0])})
ch.glue("c5_value", c5_value)
ch.glue("c5_per_alpha", ", ".join(f"{'below' if unet_table.loc[x, 'r'] < 1 else 'above'} 1 at {x}" for x in ALPHAS))
ch.glue("unet_recon", float(unet_table["recon"].iloc[0]))
ch.glue("r03", float(unet_table.loc[0.3, "r"]))
ch.glue("r03_control", float(unet_table.loc[0.3, "r_control"]))

# %% [markdown]
# ## C6: pure noise in, something image-like out
#
# With $\alpha = 0$ the input is pure $\mathcal N(0.7, 0.2^2)$ noise. The distance between
# image sets is the sliced Wasserstein distance between 7×7 patches of their Laplacian
# pyramids (Karras et al., 2018), averaged over levels; it needs no pretrained network and is
# not comparable with published FIDs. The floor is the distance between two halves of the
# held-out set.

# %%
sw_cfg = ch.sw_config()
held = ch.data.eval_batch(len(ch.data.heldout), ch.device)
noise = corruption.noise_like(held, generator=ch.generator(9))
with torch.no_grad():
    out_noise = unet.model(noise)
ref = held
sw_out = metrics.sw_distance(out_noise, ref, sw_cfg)
sw_noise = metrics.sw_distance(noise, ref, sw_cfg)
half = len(held) // 2
sw_floor = metrics.sw_distance(held[:half], held[half:], sw_cfg)
pd.DataFrame({"SW to held-out": [sw_noise, sw_out, sw_floor]},
             index=["pure noise", "O(pure noise)", "held-out half vs other half"]).round(3)

# %%
fig = figures.image_rows({"noise n": noise, "O(n)": out_noise, "held-out a": held}, n=10)
ch.figure(fig, "pure_noise");

# %%
c6_value = sw_out / sw_noise
ch.record("C6", c6_value, C6_THRESHOLD, measure="SW(O(noise), held-out) / SW(noise, held-out)",
          figure="pure_noise", details={"sw_output": sw_out, "sw_noise": sw_noise, "sw_floor": sw_floor})
ch.glue("c6_value", c6_value)

# %% [markdown]
# ## C7: the representation of a corrupted input is cleaner than the input
#
# The target is now a corrupted image $\hat a$; its output-layer representation
# $a_g(\hat a)$ is compared with the clean image $a$.

# %%
a_hat = corruption.corrupt(targets, C7_ALPHA, generator=ch.generator(13))
a_g_noisy, _ = represent(unet.model, a_hat, rep_cfg)
num = (a_g_noisy - targets).flatten(1).norm(dim=1)
den = (a_hat - targets).flatten(1).norm(dim=1)
c7_value = float((num / den).median())
fig = figures.image_rows({"clean a": targets, f"a_hat (alpha={C7_ALPHA})": a_hat, "a_g(a_hat)": a_g_noisy},
                         n=min(8, len(targets)))
ch.figure(fig, "representation_of_noisy_input");
ch.record("C7", c7_value, C7_THRESHOLD, measure="median |a_g(a_hat) - a| / |a_hat - a|, alpha = 0.5",
          figure="representation_of_noisy_input")
ch.glue("c7_value", c7_value)

# %% [markdown]
# ## C8: autoencoding without accurate representation
#
# The essay's "restrictive" U-Net inserts, between the encoder and the decoder, a strided
# convolution, three linear layers of widths 500, 100 and 500 with no nonlinearity, and a
# transposed convolution. Everything the decoder receives passes through 100 numbers.

# %%
hid_cfg = ch.model_config("unet", skips="self", hidden_mlp=True)
hid = ch.train("unet_hidden", hid_cfg)
hid_table = metrics.ratio_table(hid.model, a, (0.5,), seed=300)
a_g_hid, _ = represent(hid.model, targets, rep_cfg)
e_hid = metrics.representation_error(a_g_hid, targets)
print(f"MLP U-Net: {models.n_params(hid.model):,} parameters, widths {hid_cfg.hidden_mlp}")
pd.DataFrame({"plain U-Net": [float(unet_table["recon"].iloc[0]), float(unet_table.loc[0.5, "r"]), e_trained],
              "MLP U-Net": [float(hid_table["recon"].iloc[0]), float(hid_table.loc[0.5, "r"]), e_hid]},
             index=["clean reconstruction error", "r(0.5)", "representation error e"]).round(3)

# %%
with torch.no_grad():
    a_hat = corruption.corrupt(targets, 0.5, generator=ch.generator(17))
    fig = figures.image_rows({"target a": targets, "O_mlp(a)": hid.model(targets),
                              "a_hat (alpha=0.5)": a_hat, "O_mlp(a_hat)": hid.model(a_hat),
                              "a_g, MLP U-Net": a_g_hid, "a_g, plain U-Net": a_g_trained}, n=min(8, len(targets)))
ch.figure(fig, "mlp_unet_representation");

# %%
recon_ratio = float(hid_table["recon"].iloc[0]) / float(unet_table["recon"].iloc[0])
r_hid = float(hid_table.loc[0.5, "r"])
c8_value = e_hid / e_trained
c8_verdict = (c8_value > C8_E_FACTOR) and (recon_ratio <= C8_RECON_FACTOR) and (r_hid < 1)
ch.record("C8", c8_value, f"{C8_THRESHOLD}; recon ratio <= {C8_RECON_FACTOR}; r(0.5) < 1", c8_verdict,
          measure="e(MLP U-Net) / e(plain U-Net)", figure="mlp_unet_representation",
          details={"recon_ratio": recon_ratio, "r_mlp_0.5": r_hid, "e_mlp": e_hid, "e_plain": e_trained})
for key, val in {"c8_value": c8_value, "c8_recon_ratio": recon_ratio, "c8_r": r_hid}.items():
    ch.glue(key, val)

# %%
fig = figures.representation_loss({"trained U-Net": loss_trained, "untrained U-Net": loss_untrained},
                                  every=max(1, rep_cfg.steps // 50))
ch.figure(fig, "representation_loss");
pd.DataFrame(ch.ledger.records.values())[["id", "value", "threshold", "verdict", "measure"]]

# %% [markdown]
# ## What the numbers say
#
# - **C4.** The trained U-Net's representation error is {glue:text}`e_trained:.3f`, the
#   untrained one's {glue:text}`e_untrained:.3f`: a ratio of {glue:text}`c4_value:.2f`
#   (threshold: below 0.5).
# - **C5.** The largest denoise ratio is {glue:text}`c5_value:.2f`; per $\alpha$ it is
#   {glue:text}`c5_per_alpha`. The clean reconstruction error is {glue:text}`unet_recon:.2f` of
#   the image norm, so at light corruption the model's own error dominates $r$. At
#   $\alpha = 0.3$, $r$ is {glue:text}`r03:.2f` for the essay's corruption and
#   {glue:text}`r03_control:.2f` for zero-mean noise of the same size.
# - **C6.** On pure noise the outputs are {glue:text}`c6_value:.2f` times as far from the
#   held-out images as the noise itself (threshold: below 0.5).
# - **C7.** The representation of a corrupted input is {glue:text}`c7_value:.2f` times as far from
#   the clean image as the corrupted input (threshold: below 1).
# - **C8.** The MLP U-Net's representation error is {glue:text}`c8_value:.2f` times the plain
#   U-Net's, its clean reconstruction error {glue:text}`c8_recon_ratio:.2f` times, and its
#   $r(0.5)$ is {glue:text}`c8_r:.2f`.
#
# ## References
#
# - B. L. Badger, *Autoencoders: Learning by Copying*, blbadger.github.io; and *Input
#   representation* and *Depth and generality* on the same site, for the representation method.
# - T. Karras, T. Aila, S. Laine, J. Lehtinen, *Progressive Growing of GANs for Improved
#   Quality, Stability, and Variation*, ICLR 2018 (sliced Wasserstein on Laplacian pyramids).
# - R. Flamary et al., *POT: Python Optimal Transport*, JMLR 2021.
