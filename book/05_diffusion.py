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
# (diffusion)=
# # Diffusion with no diffusion
#
# A diffusion model is trained to remove noise at every noise level and is told which level it
# is looking at; sampling then starts from pure noise and removes a little of it at a time. The
# essay asks whether an autoencoder that was only ever trained to *copy* clean images, and that
# has no noise-level input at all, can be used the same way. Chapter {ref}`denoising` showed that
# the no-skip U-Net removes the essay's corruption without having been trained to; here that
# ability is iterated. Starting from pure noise, the model's output is mixed with fresh noise,
# the noise's share falling step by step:
#
# $$\begin{aligned}
# a_0 &\sim \mathcal N(0.7,\, 0.2^2), \\
# a_{n+1} &= c_n\, O(a_n) + d_n\, \varepsilon_n, \qquad \varepsilon_n \sim \mathcal N(0.7,\, 0.2^2),
# \qquad n = 0, \dots, N-1,
# \end{aligned}$$
#
# with the linear schedule $c_n = n/N$, $d_n = 1 - n/N$, and the sample is $O(a_N)$. Each mixture
# $a_{n+1}$ is exactly the corruption of chapter {ref}`identity`, $\hat a = \alpha a + (1 - \alpha)
# \varepsilon$, applied to the model's last output with $\alpha = c_n$: the sampler asks the
# model to undo that corruption at a level that falls from pure noise ($\alpha = 0$) to almost
# none ($\alpha = (N-1)/N$). A sample costs $N + 1$ network evaluations. As everywhere in this
# book, the model stays in train mode, so its batch norms use the statistics of the batch of
# chains being sampled (chapter {ref}`manifold-walk` does the same and restores the running
# statistics afterwards; the sampler reuses that code).
#
# The idea has published relatives. Kadkhodaie and Simoncelli (2021) drew samples from the prior
# implicit in a *blind* denoiser (one with no noise-level input) by a coarse-to-fine stochastic
# ascent that injects less and less noise, the closest published algorithm to the essay's; and
# Cold Diffusion (Bansal et al., 2022) generates images by inverting deterministic degradations
# rather than Gaussian noise. Both train their networks to restore; the essay's model was
# trained only to copy.
#
# The essay's author wrote later versions of this sampler with $c_n = n/20$ over 30 or 60
# steps, which takes $c_n$ above 1 and makes $d_n$ negative; the essay's text gives only the
# linear schedule, which is what this chapter uses (the book's sampler refuses weights outside
# $[0, 1]$). This chapter measures:
#
# - **C15** the sampler turns pure noise into image-like samples at $N = 30$ and $N = 200$;
# - **C16** samples from the U-Net with the narrow MLP bottleneck carry a style of their own
#   (the essay: "oil painting");
# - **C17** twice the feature maps give more fine detail but less global order, and one more
#   encoder and decoder level restores the order;
# - **C18** more compute (the essay: a bigger model, trained for longer) gives better samples;
# - **C31** the wide U-Net's samples carry fewer of the painting-like artefacts than the base
#   U-Net's (the essay's comparison of its deeper U-Nets).
#
# Every claim is measured on three seeds: a seed retrains the models (the shared U-Nets and this
# chapter's variants), and redraws the sampler's noise and the distance's patches and projections.

# %% tags=["parameters"]
PROFILE = "cpu"

# %%
import dataclasses

import matplotlib.pyplot as plt
import pandas as pd
import torch

import aelib.chapter
from aelib import claims, compute, corruption, diagram, figures, gates, metrics, models, report, sampler, verdict
from aelib.nearest import nearest
from aelib.sampler import SamplerConfig, sample
from aelib.seeding import set_seed
from aelib.walk import walk

ch = aelib.chapter.start("05_diffusion", PROFILE)
P = ch.profile
ch.show_data()

# %% [markdown]
# ## Claims, thresholds and controls
#
# "SW" is the sliced Wasserstein distance between 7×7 patches of Laplacian pyramids (Karras et al.,
# 2018; chapter {ref}`denoising`) from a set of images to *all* held-out images; "noise" is a set
# of $\mathcal N(0.7, 0.2^2)$ images, the sampler's own starting points. The pyramid has three
# levels (at 32×32 pixels): the finest band (pixel-scale detail), a middle band and the coarsest,
# low-pass level (an 8×8 summary of the layout and colours of the whole image). These distances
# need no pretrained network and are **not comparable with published FIDs**. Within a seed every
# set is compared with the held-out images through the same patches and projections, so that
# differences between sets are not differences of the draw; each seed draws its own.
#
# The thresholds, controls and gates come from the book's registry of claims:

# %%
ch.claims_table()

# %% [markdown]
# Why these. The factor 0.5 of C15 is the one chapters {ref}`denoising` (C6) and
# {ref}`manifold-walk` (C12) use for "image-like"; its control is the same sampler driven by the
# *untrained* U-Net of the same seed, which must not produce image-like sets, or the sampler and
# the distance, not the training, would be doing the work. For C16 the statistic is the share of
# an image's variance in the finest Laplacian band: "oil painting" names flat patches of colour
# and smeared fine texture, which move exactly that share. The AUC is the probability that a
# sample of one model has a larger share than a sample of the other (0.5: no separation); 0.8
# means that four times in five a random pair is ordered by model. The direction is not part of
# the threshold, because the essay names a style, not a sign; the control, two sample sets of the
# *same* model, shows what the statistic gives when nothing but the noise differs. C17 is three
# comparisons whose only natural threshold is the direction the essay states; its control plays
# the same game with three sample sets of one model, where the three orderings are coin flips.
#
# C18 changed (see the book's changelog). The chapter's first version compared wide + deep after
# 300 steps with the base U-Net after 150, two architectures and two training states at once, and
# its own table had the base U-Net at 300 steps beating the base U-Net at 1500. Here compute is
# the only thing that varies: the same U-Net, the same seed, after $4\times$ the training FLOPs
# against after $1\times$ (FLOPs counted on real forward and backward passes). The architecture
# half of the essay's "bigger model" is C17's business, and C17 now compares its three models at
# *equal* training FLOPs. "Better" must mean at least 10 % nearer the data, the same margin the
# stopping rule uses for "still improving": the control, the larger budget sampled twice, sits
# near 1 and would clear a bare "below 1" about half the time.
#
# C31 reuses C16's texture statistic and C17's models and samples, and asks which model's samples
# are the harder to tell from real photos by it: the folded AUC of each model's samples against
# the held-out images (0.5: the statistic cannot tell them from photos; 1: it always can), the
# base U-Net's minus the wide U-Net's. A folded AUC is the chance that a random sample and a
# random photo are ordered the way that is the more common for that model (the sample below the
# photo, say); a difference of 0.1 means that chance is ten percentage points higher for the base
# model's samples than for the wide model's. The
# control asks how large that difference is when nothing changes but the noise: the base model
# against a second set of its own samples from fresh noise (one of those C17's control draws).
#
# ## The models, the data and the sampler
#
# The no-skip U-Net and the U-Net with the MLP bottleneck are the book's shared models, trained
# for each seed to the stopping rule (held-out reconstruction error measured at a quarter, half
# and all of the profile's steps; the model counts as trained when the last doubling improved it
# by less than 10 %). Each seed draws {glue:text}`n_chains` chains per sample set, in batches of
# {glue:text}`chain_batch` that share batch-norm statistics; three seeds draw more chains in total
# than the chapter's single seed did before. Every distance is measured against the
# {glue:text}`n_held` held-out images.

# %%
unet_cfg = ch.shared_config("unet")
hid_cfg = ch.shared_config("unet_hidden")
shape = tuple(ch.data.train.shape[1:])
held = ch.data.to_float(ch.data.heldout)                  # the reference of every distance (CPU floats)
pool = ch.data.train                                       # uint8; the nearest-neighbour search scans it in chunks
N_LIST = tuple(P.diff.steps)                               # (30, 200) at the cpu and paper profiles
N_LO, N_HI = min(N_LIST), max(N_LIST)
N_CMP = P.diff.compare_steps                               # N of C16, C17 and C18 (30 at cpu)
n_s = max(P.diff.batch, P.diff.samples // 2)               # chains per sample set and seed
C15_LIMIT = claims.get("C15").test().limit
NOISE_GATE = claims.GATES["beats noise"]


def sampler_cfg(N: int) -> SamplerConfig:  # noqa: N803
    """The profile's sampler at N steps, with about the same number of recorded frames for every N."""
    return SamplerConfig(steps=N, n_samples=n_s, batch_size=P.diff.batch,
                         frame_every=max(1, N * P.diff.frame_every // N_HI))


def draw(model, N: int, noise: str, seed: int):  # noqa: N803
    """n_s chains of ``model`` at N steps from the named noise stream (``"chains"``: the noise every
    model of a seed starts from, so that sample sets are paired chain by chain)."""
    return sample(model, shape, sampler_cfg(N), ch.rng(noise, seed), device=ch.device)


def sw_levels(x: torch.Tensor, seed: int) -> list[float]:
    """SW to all held-out images per pyramid level (finest first); one patch and projection draw per seed."""
    return sampler.sliced_wasserstein(x, held, ch.sw_config(seed=ch.seed_of("SW patches", seed)))


def mean(v) -> float:
    return sum(v) / len(v)


def untrained(cfg, seed: int):
    """The seed's model before its first optimiser step (the trainer seeds, then builds)."""
    set_seed(seed)
    return models.build(cfg).to(ch.device).train()


S = {s: {} for s in ch.seeds}                               # everything measured, per seed
for s in ch.seeds:
    r = S[s]
    r["unet"], r["hidden"] = ch.shared("unet", s), ch.shared("unet_hidden", s)
    r["noise"] = corruption.noise_like(torch.empty((n_s, *shape)), generator=ch.rng("reference noise", s, device="cpu"))
    r["sw_noise"] = mean(sw_levels(r["noise"], s))
    idx = torch.randperm(len(pool), generator=ch.rng("training subset", s, device="cpu"))[:n_s]
    r["sw_train"] = mean(sw_levels(ch.data.to_float(pool[idx]), s))
    r["works"] = {k: ch.model_works(name, r[k].model, s) for k, name in (("unet", "no-skip U-Net"), ("hidden", "MLP U-Net"))}
ch.glue("unet_params", f"{models.n_params(S[ch.seeds[0]]['unet'].model):,}")
ch.glue("hidden_params", f"{models.n_params(S[ch.seeds[0]]['hidden'].model):,}")
ch.glue("n_chains", f"{n_s:,}")
ch.glue("chain_batch", str(P.diff.batch))
ch.glue("n_held", f"{len(held):,}")
report.show(pd.DataFrame([{
    "seed": s,
    "U-Net: steps": S[s]["unet"].steps, "U-Net: stopped by": S[s]["unet"].reason,
    "U-Net: held-out error / mean image's": S[s]["works"]["unet"].value,
    "MLP U-Net: steps": S[s]["hidden"].steps, "MLP U-Net: stopped by": S[s]["hidden"].reason,
    "MLP U-Net: held-out error / mean image's": S[s]["works"]["hidden"].value,
    "SW(training images) / SW(noise): the floor": S[s]["sw_train"] / S[s]["sw_noise"],
} for s in ch.seeds]).set_index("seed").T.rename(columns=lambda s: f"seed {s}").rename_axis("per seed"))

# %% [markdown]
# The no-skip U-Net has {glue:text}`unet_params` parameters, the MLP U-Net
# {glue:text}`hidden_params`. One column per seed: how long each was trained and what stopped it, its
# held-out reconstruction error relative to the mean training image's (below 1: the model works),
# and the distance of a set of real training images to the held-out ones, as a fraction of
# noise's: the floor a perfect generator could reach.

# %% [markdown]
# ### The MLP U-Net
#
# The second model is the no-skip U-Net with a small fully connected network in its bottleneck. A
# strided convolution halves the bottleneck's resolution and keeps a quarter of its maps; the result
# is flattened and passed through linear layers with no activation between them, and a transposed
# convolution gives back the bottleneck's shape for the decoder. With no activation anywhere on that
# path, the convolution, the linear layers and the transposed convolution compose to one affine map,
# whose rank is at most the narrowest layer's width: whatever the decoder receives lies in an affine
# subspace of at most {glue:text}`mlp_narrowest` dimensions, where $h$ has {glue:text}`mlp_h_numbers`
# numbers. With no skip connection there is no other route from the encoder to the decoder, so every
# output of this model, each step of the sampler included, is decoded from a point of that subspace.
# In the code the MLP is part of the decoder: $h = E(a)$ is read before it.

# %%
s_mlp = ch.seeds[0]
mlp_model = S[s_mlp]["hidden"].model
ch.glue("mlp_seed", str(s_mlp))
ch.glue("mlp_narrowest", str(min(layer.out_features for layer in mlp_model.hidden.mlp)))
ch.glue("mlp_h_numbers", f"{mlp_model.hidden.c * mlp_model.hidden.s ** 2:,}")
fig = diagram.model_diagram(mlp_model, hid_cfg.image_size, hid_cfg.channels)
ch.figure(fig, "mlp_unet_diagram")

# %% [markdown]
# ```{glue:figure} mlp_unet_diagram
# :name: fig-05-mlp-unet-diagram
# :alt: Block diagram of the MLP U-Net traced from its trained model: encoder boxes stepping down to h, a grey box at the bottom listing the MLP's layer widths, decoder boxes stepping back up.
#
# The MLP U-Net of seed {glue:text}`mlp_seed`, traced from the trained model (essay Fig. 17): the
# no-skip U-Net of chapter {ref}`identity` with the grey box between $h = E(a)$ (thick frame) and
# the decoder. The box reads, top to bottom: the strided convolution and flattening, the widths of
# the linear layers from the flattened input to the output that is reshaped into maps, and the
# transposed convolution back to the bottleneck's maps and resolution (in bold). Encoder in blue,
# decoder in orange, one row per halving of the resolution; in red, each decoder stage's
# concatenation of its upsampled maps with themselves.
# ```

# %% [markdown]
# (claim-c15)=
# ## C15: samples at $N = 30$ and $N = 200$
#
# Each chain starts from its own pure noise. For every seed the trained U-Net is sampled at both
# $N$ (here {glue:text}`n_lo` and {glue:text}`n_hi`) from the same noise, and the untrained U-Net
# of that seed from the same noise at $N$ = {glue:text}`n_lo` (at $N$ = {glue:text}`n_hi` too
# whenever its value at {glue:text}`n_lo` would clear the threshold, since otherwise the larger of
# its two values cannot clear it either).

# %%
m15 = ch.measurement("C15")
for s in ch.seeds:
    r = S[s]
    r["runs"] = {N: draw(r["unet"].model, N, "chains", s) for N in N_LIST}
    r["sw"] = {N: sw_levels(r["runs"][N].final, s) for N in N_LIST}
    r["c15"] = {N: mean(r["sw"][N]) / r["sw_noise"] for N in N_LIST}
    r["control_model"] = untrained(unet_cfg, s)
    r["ctrl_runs"] = {N_LO: draw(r["control_model"], N_LO, "chains", s)}
    r["c15_ctrl"] = {N_LO: mean(sw_levels(r["ctrl_runs"][N_LO].final, s)) / r["sw_noise"]}
    if r["c15_ctrl"][N_LO] < C15_LIMIT:
        r["ctrl_runs"][N_HI] = draw(r["control_model"], N_HI, "chains", s)
        r["c15_ctrl"][N_HI] = mean(sw_levels(r["ctrl_runs"][N_HI].final, s)) / r["sw_noise"]
    r["nn"] = {N: nearest(r["runs"][N].final, pool) for N in N_LIST}
    r["nn_held"] = nearest(held[:n_s], pool)
    r["spread"] = {N: metrics.spread(r["runs"][N].final) / metrics.spread(held[:n_s]) for N in N_LIST}
    m15.add(s, value=max(r["c15"].values()), control=max(r["c15_ctrl"].values()),
            gates=[r["unet"].gate(), r["works"]["unet"]],
            details={f"sw_ratio_N{N}": r["c15"][N] for N in N_LIST}
            | {f"control_sw_ratio_N{N}": v for N, v in r["c15_ctrl"].items()}
            | {f"nn_train_median_N{N}": float(r["nn"][N][0].median()) for N in N_LIST}
            | {"nn_train_median_heldout": float(r["nn_held"][0].median()),
               "sw_train_floor_ratio": r["sw_train"] / r["sw_noise"]}
            | {f"spread_ratio_N{N}": r["spread"][N] for N in N_LIST})
rec15 = ch.claim(m15, figure="sample_quality", details={"samples_per_seed": n_s, "N": list(N_LIST)})
report.show([{"seed": s} | {f"SW / SW(noise), N = {N}": S[s]["c15"][N] for N in N_LIST}
             | {f"untrained U-Net, N = {N}": S[s]["c15_ctrl"].get(N) for N in N_LIST} for s in ch.seeds])

# %% [markdown]
# Per seed, the distance of the samples to the held-out images as a fraction of the noise's, at
# both $N$, and the same for the untrained U-Net (at the larger $N$ only where its smaller-$N$
# value would clear the threshold; blank otherwise).

# %%
s0 = ch.seeds[0]
r0 = S[s0]
rows = {"a_0 (noise)": r0["runs"][N_LO].start}
rows |= {f"O(a_N), N = {N}": r0["runs"][N].final for N in N_LIST}
rows[f"untrained U-Net, N = {N_LO}"] = r0["ctrl_runs"][N_LO].final
rows["held-out a"] = held
fig = figures.image_rows(rows, n=12)
ch.figure(fig, "samples")

# %% [markdown]
# ```{glue:figure} samples
# :name: fig-05-samples
# :alt: Rows of twelve images: the starting noise, the samples at both numbers of steps, the untrained U-Net's outputs and held-out photographs.
#
# The first seed's samples: the starting noise $a_0$, the samples $O(a_N)$ at both $N$ (same
# noise, so column by column the runs start alike), the untrained U-Net's output from the same
# noise, and real held-out images. Pixel values are clipped to $[0, 1]$ for display, not rescaled
# per image as in the essay's figures, so that brightness and contrast errors stay visible.
# ```

# %%
r_lo = r0["runs"][N_LO]
n_rows = min(7, len(r_lo.frame_steps))
at = sorted({round(i * (len(r_lo.frame_steps) - 1) / max(1, n_rows - 1)) for i in range(n_rows)})
fig = figures.image_rows({f"O(a_{r_lo.frame_steps[i]})": r_lo.frames[i] for i in at}, n=8)
ch.figure(fig, "sampling_steps")

# %% [markdown]
# ```{glue:figure} sampling_steps
# :name: fig-05-sampling-steps
# :alt: Rows of eight images, one row per evenly spaced step of the sampler, from noise at the top to the finished samples at the bottom.
#
# How a sample forms: the model's output $O(a_n)$ at evenly spaced steps of the $N$ =
# {glue:text}`n_lo` run of the first seed, eight chains side by side (the essay shows the
# same sequence for its 30-step samples: essay Fig. 13).
# ```

# %%
r_big = r0["runs"][N_HI]
ch.player("sampling", {N_HI: r_big.frames}, r_big.frame_steps, n=8, nrow=4, label="N", slider="step")

# %% [markdown]
# ```{glue:figure} sampling
# :name: fig-05-sampling
# :alt: A player showing eight sampler chains, two rows of four images, with a slider over the sampler's steps.
#
# The $N$ = {glue:text}`n_hi` run of the first seed as an animation of the model's output
# $O(a_n)$, one frame every few steps: press play or drag the slider (the essay's 200-step video:
# essay Fig. 14).
# ```

# %% [markdown]
# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
cats = {f"samples, N = {N}": [S[s]["c15"][N] for s in ch.seeds] for N in N_LIST}
cats[f"untrained U-Net, N = {N_LO}"] = [S[s]["c15_ctrl"][N_LO] for s in ch.seeds]
cats["training images (floor)"] = [S[s]["sw_train"] / S[s]["sw_noise"] for s in ch.seeds]
figures.seed_dots(axes[0], cats, "SW(set, held-out) / SW(noise, held-out)",
                  {f"threshold {C15_LIMIT:g}": (C15_LIMIT, dict(color="tab:red", ls=":")),
                   "pure noise": (1.0, dict(color="grey", ls="--", lw=0.8))})
axes[0].legend(fontsize=9)
hist = {f"samples, N = {N}": torch.cat([S[s]["nn"][N][0] for s in ch.seeds]) for N in N_LIST}
hist["held-out images"] = torch.cat([S[s]["nn_held"][0] for s in ch.seeds])
bins = torch.linspace(0, float(max(v.max() for v in hist.values())) * 1.05, 30)
for label, d in hist.items():
    axes[1].hist(d.numpy(), bins=bins.numpy(), alpha=0.5, label=label)
axes[1].set_xlabel("L2 distance to the nearest training image")
axes[1].set_ylabel("images (all seeds)")
axes[1].legend(fontsize=9)
fig.tight_layout()
ch.figure(fig, "sample_quality")

# %% [markdown]
# ```{glue:figure} sample_quality
# :name: fig-05-sample-quality
# :alt: Left, per-seed distance ratios as dots with median bars for samples, the untrained U-Net and training images; right, histograms of the distance from each image to its nearest training image for samples and held-out images.
#
# Image-like, and copied or not? Left: each seed's distance ratio (dots; the bar is the median
# over seeds) for the samples at both $N$, for the untrained U-Net's output, and for a set of real
# *training* images (the floor a perfect generator of photos could reach). Right: the L2 distance
# from each sample to its nearest training image (pixels in $[0, 1]$, 3×32×32 numbers), beside
# the same distance for held-out photos; samples far *below* the held-out photos would be copies.
# ```
#
# The table gathers the same numbers as medians and adds the spread, the median distance between
# two images of a set over that of as many held-out images (a generator that always produces one
# image has spread 0).

# %%
med = report.median
report.show(pd.DataFrame({
    "SW / SW(noise), median over seeds": {f"samples, N = {N}": med([S[s]["c15"][N] for s in ch.seeds]) for N in N_LIST}
    | {f"untrained U-Net, N = {N_LO}": med([S[s]["c15_ctrl"][N_LO] for s in ch.seeds]),
       "training images (floor)": med([S[s]["sw_train"] / S[s]["sw_noise"] for s in ch.seeds])},
    "median distance to nearest training image": {f"samples, N = {N}": float(hist[f"samples, N = {N}"].median())
                                                  for N in N_LIST} | {"held-out images": float(hist["held-out images"].median())},
    "spread / spread(held-out)": {f"samples, N = {N}": med([S[s]["spread"][N] for s in ch.seeds]) for N in N_LIST},
}).rename_axis("set"))

# %% [markdown]
# %%
d_big, i_big = r0["nn"][N_HI]
nn_held, nn_held_idx = r0["nn_held"]
top = d_big.argsort()[:10]
top_held = nn_held.argsort()[:10]
fig = figures.image_rows({
    f"sample, N = {N_HI}": r_big.final[top],
    "nearest training image": ch.data.to_float(pool[i_big[top]]),
    "held-out image": held[:n_s][top_held],
    "nearest training image ": ch.data.to_float(pool[nn_held_idx[top_held]]),
}, n=10)
ch.figure(fig, "nearest_training_images")

# %% [markdown]
# ```{glue:figure} nearest_training_images
# :name: fig-05-nearest-training-images
# :alt: Four rows of ten images: samples, the training images nearest to them, held-out images, and the training images nearest to those.
#
# The first seed's ten samples ($N$ = {glue:text}`n_hi`) nearest to a training image, each above
# the training image it is nearest to, and below them the ten held-out images nearest to a
# training image, for scale: if the model copied, the top pairs would match better than the
# bottom ones.
# ```

# %%
nn_med = {N: float(hist[f"samples, N = {N}"].median()) for N in N_LIST}
nn_held_med = float(hist["held-out images"].median())
for key, N in (("lo", N_LO), ("hi", N_HI)):
    ch.glue(f"n_{key}", str(N))
    ch.glue(f"c15_sw_{key}", med([S[s]["c15"][N] for s in ch.seeds]))
    ch.glue(f"c15_nn_{key}", nn_med[N])
    ch.glue(f"c15_spread_{key}", med([S[s]["spread"][N] for s in ch.seeds]))
ch.glue("c15_nn_held", nn_held_med)
ch.glue("c15_floor", med([S[s]["sw_train"] / S[s]["sw_noise"] for s in ch.seeds]));

# %% [markdown]
# ## Side by side: the manifold walk on the same model
#
# The essay remarks that these samples look statistically like the frames of the manifold walk
# of chapter {ref}`manifold-walk` on the same model. For the first seed, the walk starts from
# *training* images (so that every held-out image stays in the reference set), perturbs the
# bottleneck with $\varepsilon$ = {glue:text}`walk_eps` and runs for as many steps as the larger $N$, in
# batches of the same size as the sampler's: both cost one network evaluation per step and image.
# This is an illustration, not a claim, so it is run once.

# %%
walk_cfg = dataclasses.replace(P.walk, steps=N_HI, frame_every=N_HI, batch_size=P.diff.batch)
train_set = ch.data.to_float(pool[torch.randperm(len(pool), generator=ch.rng("training subset", s0, device="cpu"))[:n_s]])
w = walk(r0["unet"].model, train_set.to(ch.device), walk_cfg, ch.rng("walk noise", s0))
sw_walk = mean(sw_levels(w.last, s0)) / r0["sw_noise"]
nn_walk, _ = nearest(w.last, pool)
walk_from_start = float(w.from_start[-1].median())
fig = figures.image_rows({"walk start (training image)": w.start, f"walk, step {walk_cfg.steps}": w.last,
                          f"sampler, N = {N_HI}": r_big.final}, n=12)
ch.figure(fig, "walk_vs_sampler")
ch.glue("walk_sw", sw_walk)
ch.glue("walk_from_start", walk_from_start)
ch.glue("walk_nn", float(nn_walk.median()))
ch.glue("walk_eps", f"{float(P.walk.eps):g}")

# %% [markdown]
# ```{glue:figure} walk_vs_sampler
# :name: fig-05-walk-vs-sampler
# :alt: Three rows of twelve images: the training images the walk starts from, the walk's last frames, and the sampler's samples.
#
# The manifold walk and the sampler on the first seed's U-Net, at the same cost per image: the
# training images the walk starts from (top), where the walk is after {glue:text}`n_hi` steps
# (middle), and the sampler's samples at $N$ = {glue:text}`n_hi` (bottom). The essay makes the
# same comparison with a video of a walk (essay Fig. 15).
# ```
#
# The table compares the two sets by the distribution distance, the distance to the nearest
# training image and the spread.

# %%
report.show(pd.DataFrame({"SW / SW(noise)": [sw_walk, r0["c15"][N_HI]],
              "median distance to nearest training image": [float(nn_walk.median()), float(d_big.median())],
              "spread / spread(held-out)": [metrics.spread(w.last) / metrics.spread(held[:n_s]), r0["spread"][N_HI]]},
             index=[f"walk, {walk_cfg.steps} steps from training images",
                    f"sampler, N = {N_HI}, from noise"]).rename_axis("set"))

# %% [markdown]
# (claim-c16)=
# ## C16: the MLP U-Net's own style
#
# The U-Net whose bottleneck passes through three narrow linear layers (widths
# {glue:text}`hidden_widths`; chapter {ref}`denoising`, C8), sampled at $N$ = {glue:text}`n_cmp`
# from the same noise as
# the plain U-Net's first set. The texture statistic is the share of each image's variance in the
# finest Laplacian band, $\sum L_0^2 / \sum (a - \bar a)^2$; it does not change with brightness
# or contrast, so it measures texture and not exposure. The control is a second set of the plain
# U-Net from other noise, scored against its first set. Both models' samples must be nearer the
# data than noise (the gate 'beats noise'): the texture of two sets of noise-like outputs would
# say nothing about a style.

# %%
ch.glue("hidden_widths", ", ".join(map(str, P.unet.hidden_mlp)))
ch.glue("n_cmp", str(N_CMP))
m16 = ch.measurement("C16")
for s in ch.seeds:
    r = S[s]
    plain_a = r["runs"][N_CMP].final if N_CMP in r["runs"] else draw(r["unet"].model, N_CMP, "chains", s).final
    r["plain_a"] = plain_a
    r["plain_b"] = draw(r["unet"].model, N_CMP, "chains, second set", s).final
    r["hid_set"] = draw(r["hidden"].model, N_CMP, "chains", s).final
    r["sw_cmp"] = {"plain A": r["sw"][N_CMP] if N_CMP in r["sw"] else sw_levels(plain_a, s),
                   "plain B": sw_levels(r["plain_b"], s), "MLP": sw_levels(r["hid_set"], s)}
    hf = {"MLP": metrics.high_frequency(r["hid_set"]), "plain A": metrics.high_frequency(plain_a),
          "plain B": metrics.high_frequency(r["plain_b"]), "held-out": metrics.high_frequency(held)}
    r["hf"] = hf
    sep = metrics.separation(hf["MLP"], hf["plain A"])
    r["c16"] = sampler.folded_auc(hf["MLP"], hf["plain A"])
    r["c16_ctrl"] = sampler.folded_auc(hf["plain B"], hf["plain A"])
    noise_gates = [verdict.check("beats noise", f"{k} samples, N = {N_CMP}", mean(r["sw_cmp"][k]) / r["sw_noise"], s)
                   for k in ("MLP", "plain A")]
    m16.add(s, value=r["c16"], control=r["c16_ctrl"],
            gates=[r["unet"].gate(), r["works"]["unet"], r["hidden"].gate(), r["works"]["hidden"]] + noise_gates,
            details={"auc": sep["auc"], "p_value": sep["p_value"], "median_share_mlp": sep["median_a"],
                     "median_share_plain": sep["median_b"], "median_share_heldout": float(hf["held-out"].median()),
                     "auc_plain_vs_heldout": metrics.separation(hf["plain A"], hf["held-out"])["auc"],
                     "sw_ratio_mlp": mean(r["sw_cmp"]["MLP"]) / r["sw_noise"]})
    r["c16_sep"] = sep
rec16 = ch.claim(m16, figure="mlp_unet_style", details={"N": N_CMP, "samples_per_seed": n_s})
report.show([{"seed": s, "folded AUC, MLP vs plain": S[s]["c16"], "AUC, MLP vs plain": S[s]["c16_sep"]["auc"],
              "control: folded AUC, plain vs plain": S[s]["c16_ctrl"],
              "MLP samples: SW / SW(noise)": mean(S[s]["sw_cmp"]["MLP"]) / S[s]["sw_noise"]} for s in ch.seeds])

# %% [markdown]
# Per seed: how well the high-frequency share separates the MLP U-Net's samples from the plain
# U-Net's (folded AUC, and the AUC before folding: below 0.5, the MLP U-Net's share is the
# lower), the control's folded AUC, and how near the MLP U-Net's samples are to the data.

# %%
fig = plt.figure(figsize=(9, 7.5))
gs = fig.add_gridspec(2, 1, height_ratios=[1.3, 1])
ax = fig.add_subplot(gs[0])
k8 = min(8, len(r0["plain_a"]))  # images per row
strip = torch.cat([r0["plain_a"][:k8], r0["hid_set"][:k8], held[:k8]])
ax.imshow(figures.grid_image(strip, nrow=k8), interpolation="nearest")
ax.set_yticks([(i + 0.5) * (P.data.image_size + 1) for i in range(3)])
ax.set_yticklabels([f"plain U-Net\nN = {N_CMP}", f"MLP U-Net\nN = {N_CMP}", "held-out"], fontsize=9)
ax.set_xticks([])
ax2 = fig.add_subplot(gs[1])
pooled = {k: torch.cat([S[s]["hf"][k] for s in ch.seeds]) for k in ("plain A", "plain B", "MLP")}
pooled["held-out"] = r0["hf"]["held-out"]
bins = torch.linspace(0, float(max(v.max() for v in pooled.values())) * 1.05, 30).numpy()
for label, name in (("held-out", "held-out images"), ("plain A", "plain U-Net"), ("plain B", "plain U-Net, other noise"),
                    ("MLP", "MLP U-Net")):
    ax2.hist(pooled[label].numpy(), bins=bins, alpha=0.45, density=True, label=name)
ax2.set_xlabel("share of variance in the finest band")
ax2.set_ylabel("density")
ax2.legend(fontsize=9)
fig.tight_layout()
ch.figure(fig, "mlp_unet_style")

# %% [markdown]
# ```{glue:figure} mlp_unet_style
# :name: fig-05-mlp-unet-style
# :alt: Top, three rows of eight images: plain U-Net samples, MLP U-Net samples from the same noise, held-out photos; bottom, density histograms of the finest band's share of variance.
#
# The first seed's sample sets at $N$ = {glue:text}`n_cmp` (top row: the plain U-Net; middle:
# the MLP U-Net from the same noise; bottom: held-out photos) and, below, the distribution of
# the high-frequency share (the share of an image's variance in the finest Laplacian band) over
# all seeds, for both models, the plain U-Net's second set from other noise, and held-out photos.
# The essay shows the MLP U-Net's samples by themselves (essay Fig. 19).
# ```

# %%
aucs = [S[s]["c16"] for s in ch.seeds]
raw = [q["details"]["auc"] for q in rec16["seeds"]]
for key, name in (("share_mlp", "median_share_mlp"), ("share_plain", "median_share_plain"),
                  ("auc_plain_data", "auc_plain_vs_heldout"), ("sw_mlp", "sw_ratio_mlp")):
    ch.glue(f"c16_{key}", report.seed_median(rec16, name))
ch.glue("c16_share_held", rec16["seeds"][0]["details"]["median_share_heldout"])
c16_dir = "lower" if med(raw) < 0.5 else "higher"
ch.glue("c16_direction", c16_dir)

# %% [markdown]
# The essay also shows the MLP U-Net's sampler at work, 200 iterations as a video. The player
# below records the first seed's MLP U-Net over one batch of chains at $N$ =
# {glue:text}`n_hi`, from the same noise as the first batch of the plain U-Net's run in C15's
# player: the same starting noise and the same fresh noise at every step, so that, chain by
# chain, the two models differ only in what they make of it. This one batch is the only sampling
# this figure adds.

# %%
hid_run = sample(r0["hidden"].model, shape, dataclasses.replace(sampler_cfg(N_HI), n_samples=P.diff.batch),
                 ch.rng("chains", s0), device=ch.device)
n_show = min(8, P.diff.batch)
ch.player("mlp_sampling", {"plain U-Net": r_big.frames[:, :P.diff.batch], "MLP U-Net": hid_run.frames},
          r_big.frame_steps, n=n_show, nrow=4, label="model", slider="step")

# %% [markdown]
# ```{glue:figure} mlp_sampling
# :name: fig-05-mlp-sampling
# :alt: A player showing sampler chains in rows of four images, with buttons to choose the plain or the MLP U-Net and a slider over the sampler's steps.
#
# The sampler at $N$ = {glue:text}`n_hi` on the first seed's two U-Nets from the same noise: the
# model's output $O(a_n)$ every few steps for the first chains of one batch. Choose a model with
# the buttons; the slider keeps its step, so the two can be compared frame by frame (the essay's
# 200-iteration video of its MLP U-Net: essay Fig. 20).
# ```

# %% [markdown]
# (claim-c17)=
# ## C17: wider and deeper at equal compute
#
# Three U-Nets on the same images: the base U-Net; **wide**, with twice the feature maps at every
# level (the essay's `UNetWide`); and **wide + deep**, wide with one more encoder and one more
# decoder level (the essay's `UNetDeepWide`). All three are built from the same `UNet` class
# with its `base` and `depth` switches. The essay's deeper models used up-sampling blocks without
# any concatenation, and a bilinear first one; ours keep the self-concatenation of the other
# U-Nets of this book, which changes the parameter count of the decoder but not what it can see.
#
# Every model gets the same training compute: the FLOPs of the base U-Net at a quarter of its
# steps (counted on one real forward and backward pass). Within that cap each is
# trained to the stopping rule: held-out reconstruction error at a quarter, half and all of its
# step cap, trained when the last doubling improved it by less than 10 %. A wide model costs about
# four times the base's FLOPs per step, so it gets about a quarter of the base's steps; when the
# cap, not a plateau, ends a model's training, the verdict is inconclusive and says so. (The base
# model at this budget is the first quarter of the shared U-Net's own run: the same weights the
# shared model passed through.)

# %%
variants = {"base": unet_cfg,
            "wide": ch.shared_config("unet", base=2 * P.unet.base),
            "wide + deep": ch.shared_config("unet", base=2 * P.unet.base, depth=P.unet.depth + 1)}
names = {"base": "unet", "wide": "unet_wide", "wide + deep": "unet_wide_deep"}
costs = {k: compute.step_cost(models.build(cfg).to(ch.device), shape, P.train.batch_size, device=ch.device)
         for k, cfg in variants.items()}
base_cap = max(sampler.MIN_CAP, P.train.steps // sampler.BUDGET_FRACTION)
budget = costs["base"].training(base_cap)
caps = {"base": base_cap} | {k: sampler.budget_steps(budget, costs[k].train_step) for k in ("wide", "wide + deep")}
def budget_run(kind: str, seed: int) -> gates.RuleRun:
    """``kind`` trained to the stopping rule for ``seed`` under the compute cap. The base model
    shares its cache (and weights) with the book's U-Net, under its own name in gates and curves."""
    subject = "unet at the C17 compute budget" if kind == "base" else names[kind]
    return ch.train_rule(names[kind], variants[kind], seed, cap=caps[kind], subject=subject)


m17 = ch.measurement("C17")
for s in ch.seeds:
    r = S[s]
    r["var"] = {k: budget_run(k, s) for k in variants}
    r["var_set"] = {k: draw(run.model, N_CMP, "chains", s).final for k, run in r["var"].items()}
    r["var_sw"] = {k: sw_levels(x, s) for k, x in r["var_set"].items()}
    r["c17_cond"] = sampler.order_conditions(r["var_sw"])
    # control: the base model in all three roles, from three different noises (C31 reuses the third set)
    r["base_sets"] = {k: draw(r["var"]["base"].model, N_CMP, off, s).final
                      for k, off in (("wide", "chains, third set"), ("wide + deep", "chains, fourth set"))}
    ctrl_sw = {"base": r["var_sw"]["base"]} | {k: sw_levels(x, s) for k, x in r["base_sets"].items()}
    r["c17_ctrl_cond"] = sampler.order_conditions(ctrl_sw)
    r["var_gates"] = {k: [run.gate(), ch.model_works(f"{k} U-Net at the budget", run.model, s),
                          verdict.check("beats noise", f"{k} U-Net samples, N = {N_CMP}",
                                        mean(r["var_sw"][k]) / r["sw_noise"], s)]
                      for k, run in r["var"].items()}
    g = [x for k in variants for x in r["var_gates"][k]]
    m17.add(s, value=sum(r["c17_cond"].values()), control=sum(r["c17_ctrl_cond"].values()), gates=g,
            details={k: bool(v) for k, v in r["c17_cond"].items()}
            | {f"sw_finest_{k}": v[0] for k, v in r["var_sw"].items()}
            | {f"sw_coarsest_{k}": v[-1] for k, v in r["var_sw"].items()}
            | {f"steps_{k}": run.steps for k, run in r["var"].items()}
            | {f"stopped_by_{k}": run.reason for k, run in r["var"].items()}
            | {"control_conditions": {k: bool(v) for k, v in r["c17_ctrl_cond"].items()}})
rec17 = ch.claim(m17, figure="variants_sw",
                    details={"budget_tflop": budget / 1e12, "caps": caps,
                             "flops_per_step_ratio": {k: costs[k].train_step / costs["base"].train_step for k in variants}})
report.show(pd.DataFrame([{"seed": s} | {c.replace("_", " "): bool(v) for c, v in S[s]["c17_cond"].items()}
                          | {"control: conditions met": sum(S[s]["c17_ctrl_cond"].values())}
                          | {f"{k}: fall over last doubling": run.improvement for k, run in S[s]["var"].items()}
                          for s in ch.seeds]).set_index("seed").T.rename(columns=lambda s: f"seed {s}")
            .rename_axis("per seed"))

# %% [markdown]
# One column per seed: which of the three orderings hold, how many hold in the control, and by how much
# each model's held-out error fell over its last doubling of steps.
#
# The models at the common budget, one column each: parameters, the size of the bottleneck
# relative to the image, step caps, what ended each seed's training, and the distances of their
# samples at the finest and the coarsest pyramid level.

# %%
report.show(pd.DataFrame.from_dict({k: {
    "parameters": models.n_params(S[s0]["var"][k].model),
    "latent h / image size": u.base * 2 ** u.depth * (P.data.image_size // 2 ** u.depth) ** 2 / held[0].numel(),
    "GFLOP per training step": costs[k].train_step / 1e9,
    "step cap (equal TFLOP)": caps[k],
    "training TFLOP": costs[k].training(caps[k]) / 1e12,
    "stopped by (per seed)": ", ".join(S[s]["var"][k].reason for s in ch.seeds),
    "SW finest (median)": med([S[s]["var_sw"][k][0] for s in ch.seeds]),
    "SW coarsest (median)": med([S[s]["var_sw"][k][-1] for s in ch.seeds]),
} for k, u in ((k, cfg.params) for k, cfg in variants.items())}).rename_axis("per model"))

# %%
fig = figures.image_rows({k: S[s0]["var_set"][k] for k in variants} | {"held-out a": held}, n=12)
ch.figure(fig, "variant_samples")

# %% [markdown]
# ```{glue:figure} variant_samples
# :name: fig-05-variant-samples
# :alt: Four rows of twelve images: samples of the base, wide and wide + deep U-Nets from the same noise, and held-out photos.
#
# The first seed's samples of each model at the common budget ($N$ = {glue:text}`n_cmp`, the
# same noise for every model), above held-out photos: the wide row is the counterpart of the
# essay's wide samples, the wide + deep row of its wide and deep ones (essay Fig. 21, essay Fig. 22).
# ```

# %% [markdown]
# (claim-c18)=
# ## C18: more compute for the same model
#
# The base U-Net of each seed after its budget of C17 (a quarter of its steps), after half of
# its steps, and after all of them, the book's shared model: $1\times$, $2\times$ and $4\times$ the
# training FLOPs along one run. C18's value is the distance ratio of the $4\times$ samples to the
# $1\times$ samples; its control is the $4\times$ model's second sample set (the one C16 drew
# from other noise) against its first.

# %%
m18 = ch.measurement("C18")
half = max(base_cap + 1, P.train.steps // 2)
for s in ch.seeds:
    r = S[s]
    mid = ch.train("unet", unet_cfg, ch.train_config(steps=half, seed=s))
    r["mid_sw"] = sw_levels(draw(mid.model, N_CMP, "chains", s).final, s)
    big, small = mean(r["sw_cmp"]["plain A"]), mean(r["var_sw"]["base"])
    r["c18"] = big / small
    r["c18_ctrl"] = mean(r["sw_cmp"]["plain B"]) / big
    r["c18_mid"] = mean(r["mid_sw"]) / small
    works_small = ch.model_works("base U-Net, 1x budget", r["var"]["base"].model, s)
    m18.add(s, value=r["c18"], control=r["c18_ctrl"],
            gates=[r["works"]["unet"], works_small,
                   verdict.check("beats noise", f"base U-Net, 4x budget, samples N = {N_CMP}", big / r["sw_noise"], s),
                   verdict.check("beats noise", f"base U-Net, 1x budget, samples N = {N_CMP}", small / r["sw_noise"], s)],
            details={"sw_small": small, "sw_mid": mean(r["mid_sw"]), "sw_big": big, "ratio_2x": r["c18_mid"],
                     "steps_small": r["var"]["base"].steps, "steps_mid": half, "steps_big": r["unet"].steps,
                     "heldout_error_small": r["var"]["base"].curve[-1][1], "heldout_error_big": r["unet"].curve[-1][1]})
flops = {"1x": costs["base"].training(base_cap), "2x": costs["base"].training(half),
         "4x": costs["base"].training(S[s0]["unet"].steps)}
rec18 = ch.claim(m18, figure="variants_sw",
                    details={"tflop": {k: v / 1e12 for k, v in flops.items()}, "N": N_CMP})
report.show([{"seed": s, "SW(4x) / SW(1x)": S[s]["c18"], "SW(2x) / SW(1x)": S[s]["c18_mid"],
              "control: 4x sampled twice": S[s]["c18_ctrl"]} for s in ch.seeds])

# %% [markdown]
# Per seed: the distance of the base U-Net's samples after four and after two times the
# smallest budget, relative to that budget's, and the control.

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
markers = {"base": "o", "wide": "s", "wide + deep": "^"}
sets = {f"{k}, 1x": [S[s]["var_sw"][k] for s in ch.seeds] for k in variants}
sets["base, 4x (shared U-Net)"] = [S[s]["sw_cmp"]["plain A"] for s in ch.seeds]
figures.sw_by_level(axes[0], sets, {label: dict(marker=markers[label.split(",")[0]], ls=":" if "4x" in label else "-")
                                    for label in sets})
axes[0].legend(fontsize=9)
for s in ch.seeds:
    r = S[s]
    xs = [flops["1x"], flops["2x"], flops["4x"]]
    ys = [mean(r["var_sw"]["base"]), mean(r["mid_sw"]), mean(r["sw_cmp"]["plain A"])]
    axes[1].plot([x / 1e12 for x in xs], ys, "o-", color="tab:blue", alpha=0.6, label="base U-Net" if s == s0 else None)
    for k, c in (("wide", "tab:orange"), ("wide + deep", "tab:green")):
        axes[1].scatter(costs[k].training(r["var"][k].steps) / 1e12, mean(r["var_sw"][k]), marker=markers[k], color=c,
                        s=45, label=k if s == s0 else None)
axes[1].set_xscale("log")
axes[1].set_xlabel("training compute (TFLOP)")
axes[1].set_ylabel("SW, mean over levels")
axes[1].legend(fontsize=9)
fig.tight_layout()
ch.figure(fig, "variants_sw")

# %% [markdown]
# ```{glue:figure} variants_sw
# :name: fig-05-variants-sw
# :alt: Left, distance to held-out images per pyramid level for each model; right, the distance averaged over levels against training compute on a log axis, the base U-Net's run as lines and the wide models as single markers.
#
# Per pyramid level, the distance of each model's samples to held-out images (left; the median
# over seeds, with the seeds' range as error bars), and on the right the distance averaged over
# levels against training compute: the base U-Net along its run ($1\times$, $2\times$, $4\times$)
# and the wide and wide + deep models at the $1\times$ budget, one dot per seed. The essay
# shows its case for more compute as two sets of samples, a day on one small GPU against a day
# on four large ones with a larger model (essay Fig. 16).
# ```

# %% [markdown]
# (claim-c31)=
# ## C31: does width remove the painting-like artefacts?
#
# Closing its comparison of wider and deeper U-Nets, the essay remarks, beside samples of its
# deeper model, that doubling the feature maps leaves fewer painting-like artefacts in what the
# sampler synthesises than the narrower U-Net does; it judges this by eye. "Painting-like" here
# means what C16 measures: areas of smooth, flat colour where a photograph has fine grain,
# foliage, gravel or ripples, and edges that are soft rather than sharp. All of that lowers the
# share of an image's variance in the finest Laplacian band, the band the pyramid keeps for
# pixel-scale detail, so a painting-like sample has a *lower* share than a photograph of the
# same scene. C31 asks whether the wide U-Net's samples are harder to tell from held-out photos
# by that share than the base U-Net's: the folded AUC of each model's samples against the
# held-out images, the base's minus the wide's. Nothing is retrained or resampled: the models are
# C17's, trained to the stopping rule under one compute budget, and the sample sets are the ones
# C17 drew from the same noise at $N$ = {glue:text}`n_cmp`. The control is the base model against
# itself, C17's third set of base samples from fresh noise in the wide model's place.
#
# The statistic has limits worth stating before the numbers. It is folded, so a model whose
# samples have *too much* fine-scale energy (left-over noise, ringing) departs from the photos
# as much as one that is too smooth; the table and the figure give the direction as well. It
# sees texture only: the global disorder that C17 measures on the coarse level does not move it,
# and neither does colour. And at 32×32 pixels the finest band is a small share of any image's
# variance, so brush-stroke texture that shows at the essay's 128² has little room here.

# %%
m31 = ch.measurement("C31")
for s in ch.seeds:
    r = S[s]
    hf_held = r["hf"]["held-out"]
    hf = {"base": metrics.high_frequency(r["var_set"]["base"]), "wide": metrics.high_frequency(r["var_set"]["wide"]),
          "base, other noise": metrics.high_frequency(r["base_sets"]["wide"])}
    auc = {k: metrics.separation(v, hf_held)["auc"] for k, v in hf.items()}   # below 0.5: smoother than photos
    r["hf31"], r["auc31"] = hf, auc
    r["c31"] = sampler.folded_auc_gap(hf["base"], hf["wide"], hf_held)
    r["c31_ctrl"] = sampler.folded_auc_gap(hf["base"], hf["base, other noise"], hf_held)
    m31.add(s, value=r["c31"], control=r["c31_ctrl"], gates=r["var_gates"]["base"] + r["var_gates"]["wide"],
            details={f"fauc_{k.replace(', ', '_').replace(' ', '_')}": max(a, 1 - a) for k, a in auc.items()}
            | {f"auc_{k.replace(', ', '_').replace(' ', '_')}": a for k, a in auc.items()}
            | {f"median_share_{k.replace(', ', '_').replace(' ', '_')}": float(v.median()) for k, v in hf.items()}
            | {"median_share_heldout": float(hf_held.median())})
rec31 = ch.claim(m31, figure="width_texture", details={"N": N_CMP, "samples_per_seed": n_s})
report.show(pd.DataFrame([{"seed": s,
                           "folded AUC, base samples vs held-out": max(S[s]["auc31"]["base"], 1 - S[s]["auc31"]["base"]),
                           "folded AUC, wide samples vs held-out": max(S[s]["auc31"]["wide"], 1 - S[s]["auc31"]["wide"]),
                           "C31: base minus wide": S[s]["c31"],
                           "control: base minus base from other noise": S[s]["c31_ctrl"],
                           "AUC, base vs held-out": S[s]["auc31"]["base"],
                           "AUC, wide vs held-out": S[s]["auc31"]["wide"],
                           "median share, base": float(S[s]["hf31"]["base"].median()),
                           "median share, wide": float(S[s]["hf31"]["wide"].median()),
                           "median share, held-out": float(S[s]["hf"]["held-out"].median())} for s in ch.seeds])
            .set_index("seed").T.rename(columns=lambda s: f"seed {s}").rename_axis("per seed"))

# %% [markdown]
# One column per seed: how well the finest band's share tells each model's samples from held-out
# photos (folded AUC), C31's difference and its control, the same AUCs before folding (below 0.5:
# the samples have the lower share, the painting-like direction), and the median shares.

# %%
fig = plt.figure(figsize=(10, 7.5))
gs = fig.add_gridspec(2, len(ch.seeds), height_ratios=[1, 1.2])
top = gs[0, :].subgridspec(1, 2)
k8 = min(8, len(r0["var_set"]["base"]))
for j, k in enumerate(("base", "wide")):
    ax = fig.add_subplot(top[0, j])
    ax.imshow(figures.grid_image(r0["var_set"][k][:k8], nrow=min(4, k8)), interpolation="nearest")
    ax.set_title(f"{k} U-Net, seed {s0}, N = {N_CMP}")
    ax.set_axis_off()
strip_sets = (("held-out", "held-out\nphotos", "grey"), ("base", "base", "tab:blue"),
              ("base, other noise", "base,\nother noise", "lightsteelblue"), ("wide", "wide", "tab:orange"))
for j, s in enumerate(ch.seeds):
    ax = fig.add_subplot(gs[1, j])
    for i, (k, _, colour) in enumerate(strip_sets):
        v = (S[s]["hf"]["held-out"] if k == "held-out" else S[s]["hf31"][k]).numpy()
        jitter = ((torch.arange(len(v)) * 0.618034) % 1 - 0.5).numpy() * 0.5   # even spread, no random draw
        ax.scatter(i + jitter, v, s=6, alpha=0.35 if k == "held-out" else 0.7, color=colour, lw=0)
        ax.hlines(float(torch.as_tensor(v).median()), i - 0.32, i + 0.32, color="black", lw=1.5)
    ax.set_xticks(range(len(strip_sets)))
    ax.set_xticklabels([t for _, t, _ in strip_sets], fontsize=9)
    fa = {k: max(S[s]["auc31"][k], 1 - S[s]["auc31"][k]) for k in ("base", "wide")}
    ax.set_title(f"seed {s}: fAUC base {fa['base']:.2f}, wide {fa['wide']:.2f}", fontsize=10)
    if j == 0:
        ax.set_ylabel("share of variance in the finest band")
fig.tight_layout()
ch.figure(fig, "width_texture")

# %% [markdown]
# ```{glue:figure} width_texture
# :name: fig-05-width-texture
# :alt: Top, eight base U-Net samples beside eight wide U-Net samples from the same noise; bottom, one strip plot per seed of the finest band's share of variance for held-out photos, base samples, a second base set and wide samples, with the folded AUCs in the titles.
#
# Width and texture. Top: the first seed's base and wide U-Net samples from the same noise
# ($N$ = {glue:text}`n_cmp`, C17's models at one compute budget). Bottom, one panel per seed:
# each image's share of variance in the finest Laplacian band (a dot per image, the black bar at
# the median) for held-out photos, the base U-Net's samples, its second set from other noise
# (the control) and the wide U-Net's samples; the titles give each model's folded AUC against
# the photos. Painting-like samples sit below the photos; samples that a photo could not be told
# from by texture overlap them (essay Fig. 23).
# ```

# %%
for key, name in (("fauc_base", "fauc_base"), ("fauc_wide", "fauc_wide"), ("share_base", "median_share_base"),
                  ("share_wide", "median_share_wide")):
    ch.glue(f"c31_{key}", report.seed_median(rec31, name))
ch.glue("c31_share_held", rec31["seeds"][0]["details"]["median_share_heldout"])

# %% [markdown]
# ## The stopping rule's curves

# %%
fig, ax = plt.subplots(figsize=(8, 4))
cost_of = {"unet": costs["base"].train_step, "unet_wide": costs["wide"].train_step,
           "unet_wide_deep": costs["wide + deep"].train_step,
           "unet_hidden": compute.step_cost(models.build(hid_cfg).to(ch.device), shape, P.train.batch_size,
                                            device=ch.device).train_step}
colours = {"unet": "tab:blue", "unet_hidden": "tab:purple", "unet_wide": "tab:orange", "unet_wide_deep": "tab:green",
           "unet at": "tab:cyan"}
labelled = set()
for subject, rr in ch.rule_runs.items():
    key = "unet at" if subject.startswith("unet at") else subject.split(" (")[0]
    step_flops = cost_of["unet" if key == "unet at" else key]
    xs = [st * step_flops / 1e12 for st, _ in rr["curve"]]
    label = {"unet at": "U-Net at the C17 budget"}.get(key, key)
    ax.plot(xs, [e for _, e in rr["curve"]], "o-", color=colours.get(key, "grey"), alpha=0.7,
            label=None if label in labelled else label)
    labelled.add(label)
ax.axvline(budget / 1e12, color="grey", ls=":", lw=1)
ax.set_xscale("log")
ax.set_xlabel("training compute (TFLOP)")
ax.set_ylabel("held-out reconstruction error")
ax.legend(fontsize=9)
fig.tight_layout()
ch.figure(fig, "training_rule")

# %% [markdown]
# ```{glue:figure} training_rule
# :name: fig-05-training-rule
# :alt: Held-out reconstruction error against training compute on a log axis, one line per model and seed, with a dotted vertical line at the common budget.
#
# Held-out reconstruction error against training compute for every model this chapter rests on,
# one line per model and seed (the shared U-Nets to the profile's steps; the C17 models to the
# common budget, marked by the dotted line). A line still falling steeply at its last point was
# stopped by its cap.
# ```

# %%
def fine_coarse(k):
    return med([S[s]["var_sw"][k][0] for s in ch.seeds]), med([S[s]["var_sw"][k][-1] for s in ch.seeds])


for k, key in (("base", "base"), ("wide", "wide"), ("wide + deep", "deep")):
    f_, c_ = fine_coarse(k)
    ch.glue(f"c17_fine_{key}", f_)
    ch.glue(f"c17_coarse_{key}", c_)
    ch.glue(f"c17_steps_{key}", str(caps[k]))
ch.glue("c17_tflop", budget / 1e12)
ch.glue("flops_ratio_wide", costs["wide"].train_step / costs["base"].train_step)
ch.glue("flops_ratio_deep", costs["wide + deep"].train_step / costs["base"].train_step)
ch.glue("c18_mid", med([S[s]["c18_mid"] for s in ch.seeds]))
ch.glue("c18_tflop_small", flops["1x"] / 1e12)
ch.glue("c18_tflop_big", flops["4x"] / 1e12)
ch.glue("c18_err_small", med([S[s]["var"]["base"].curve[-1][1] for s in ch.seeds]))
ch.glue("c18_err_big", med([S[s]["unet"].curve[-1][1] for s in ch.seeds]))

# %% [markdown]
# ## What the numbers say
#
# - **C15.** The samples' distance to held-out images is {glue:text}`c15_sw_lo:.2f` of the
#   noise's at $N = $ {glue:text}`n_lo` and {glue:text}`c15_sw_hi:.2f` at $N = $
#   {glue:text}`n_hi` (medians over seeds; a set of real training images sits at
#   {glue:text}`c15_floor:.2f`); the untrained U-Net, driven by the same sampler from the same
#   noise, reaches {glue:text}`c15_ctrl:.2f`. Verdict: {glue:text}`c15_verdict`. The median
#   distance from a sample to its nearest training image is {glue:text}`c15_nn_lo:.2f` and
#   {glue:text}`c15_nn_hi:.2f` at the two $N$, against {glue:text}`c15_nn_held:.2f` for held-out
#   photos, and the samples' spread is {glue:text}`c15_spread_lo:.2f` and
#   {glue:text}`c15_spread_hi:.2f` of the held-out images' spread.
# - **The walk, side by side.** The manifold walk on the same model, after as many steps,
#   reaches {glue:text}`walk_sw:.2f` of the noise's distance, having moved
#   {glue:text}`walk_from_start:.2f` of its norm away from the training image it started from
#   (nearest-training distance {glue:text}`walk_nn:.2f`).
# - **C16.** The MLP U-Net's samples put a median {glue:text}`c16_share_mlp:.3f` of their
#   variance in the finest band, the plain U-Net's {glue:text}`c16_share_plain:.3f` and held-out
#   photos {glue:text}`c16_share_held:.3f`; the MLP U-Net's samples lean to
#   {glue:text}`c16_direction` fine-scale energy. The folded AUC between the two models is
#   {glue:text}`c16_value:.2f` (median over seeds), against {glue:text}`c16_ctrl:.2f` between two
#   sets of the plain U-Net. Verdict: {glue:text}`c16_verdict`. Two limits of the measure: a lower
#   share would fit smooth, painted-looking patches but also plain blur, so even a clear
#   separation would show *that* the styles differ, not that one is "oil painting"; and at 32×32
#   pixels the finest band holds only a few per cent of a photo's variance, so brush-stroke
#   texture that the essay saw at 128² has little room to show.
# - **C17.** At a common budget of {glue:text}`c17_tflop:.2f` TFLOP (base
#   {glue:text}`c17_steps_base` steps, wide {glue:text}`c17_steps_wide`, wide + deep
#   {glue:text}`c17_steps_deep`: per step the wide model costs {glue:text}`flops_ratio_wide:.1f`×
#   the base's FLOPs and wide + deep {glue:text}`flops_ratio_deep:.1f`×), the finest-level
#   distances are {glue:text}`c17_fine_base:.3f` (base), {glue:text}`c17_fine_wide:.3f` (wide) and
#   {glue:text}`c17_fine_deep:.3f` (wide + deep); the coarsest {glue:text}`c17_coarse_base:.3f`,
#   {glue:text}`c17_coarse_wide:.3f` and {glue:text}`c17_coarse_deep:.3f`. A median of
#   {glue:text}`c17_value:.0f` of the 3 conditions hold (control: {glue:text}`c17_ctrl:.0f`).
#   Verdict: {glue:text}`c17_verdict`.
# - **C18.** The base U-Net after {glue:text}`c18_tflop_big:.1f` TFLOP against the same run after
#   {glue:text}`c18_tflop_small:.2f` TFLOP: a distance ratio of {glue:text}`c18_value:.2f`
#   (after twice the small budget: {glue:text}`c18_mid:.2f`), against {glue:text}`c18_ctrl:.2f`
#   for the large budget sampled twice. Verdict: {glue:text}`c18_verdict`. Over the same compute
#   the held-out reconstruction error went from {glue:text}`c18_err_small:.3f` to
#   {glue:text}`c18_err_big:.3f`.
# - **C31.** Against held-out photos the finest band's share gives a folded AUC of
#   {glue:text}`c31_fauc_base:.2f` for the base U-Net's samples and {glue:text}`c31_fauc_wide:.2f`
#   for the wide U-Net's (medians over seeds; median shares {glue:text}`c31_share_base:.3f`,
#   {glue:text}`c31_share_wide:.3f` and {glue:text}`c31_share_held:.3f` for the photos). The
#   difference is {glue:text}`c31_value:.2f` against {glue:text}`c31_ctrl:.2f` for the base model
#   sampled twice. Verdict: {glue:text}`c31_verdict`.
#
# The essay's U-Nets had four or five levels and 64 or 128 feature maps at the first, were trained
# for hundreds of epochs on LSUN churches or thousands of landscapes at 64² to 512² pixels, and
# were judged by eye; the verdicts here measure small U-Nets trained for minutes on a CPU at 32².
# The numbers are sliced Wasserstein distances on pyramid patches, useful to rank sample sets
# against the same reference, and not comparable with FIDs.

# %% [markdown]
# ## What the essay gets right, what it gets wrong, and why
#
# {glue:text}`c05_conclusion`

# %%
parts = []
v15, c15v = rec15["median"], (rec15["control"] or {}).get("value")
if rec15["verdict"] == verdict.HOLDS:
    parts.append(f"The essay is right that a U-Net trained only to copy turns pure noise into image-like samples "
                 f"with its denoise-and-renoise loop: on every seed the samples sit at {report.fmt(v15)} of the noise's "
                 f"distance to the data (at worst over N = {N_LO} and {N_HI}), while the untrained U-Net in the same "
                 f"loop stays at {report.fmt(c15v)}, so the training, not the loop, makes them image-like.")
elif rec15["verdict"] == verdict.FAILS:
    parts.append(f"The essay's samples do not reproduce here: the copying U-Net's samples stay at {report.fmt(v15)} of "
                 f"the noise's distance to the data (the threshold is {C15_LIMIT:g}).")
else:
    parts.append(f"Whether the sampler makes image-like samples is undecided here ({rec15['reason']}); the median "
                 f"ratio is {report.fmt(v15)} against {report.fmt(c15v)} for the untrained U-Net.")
copy_gap = min(nn_med.values()) / nn_held_med
parts.append("The samples are not copies of training images: they are no nearer their nearest training image "
              f"than held-out photos are ({copy_gap:.2f} times the photos' median distance)." if copy_gap > 0.8 else
              f"The samples sit nearer the training images than held-out photos do ({copy_gap:.2f} of the photos' "
              "median distance), which points to copying or to a few prototypes; the pairs figure shows which.")
v16, c16v = rec16["median"], (rec16["control"] or {}).get("value")
if rec16["verdict"] == verdict.HOLDS:
    parts.append(f"The MLP U-Net's samples do have a texture of their own (folded AUC {report.fmt(v16)} against "
                 f"{report.fmt(c16v)} for two sets of one model), with {c16_dir} fine-scale energy than the plain "
                 "U-Net's; whether that texture is what the essay calls oil painting is a judgement this statistic "
                 "cannot make.")
elif rec16["verdict"] == verdict.FAILS:
    auc_data = med([max(q, 1 - q) for q in report.seed_values(rec16, "auc_plain_vs_heldout")])
    blind = auc_data < 0.6
    parts.append(f"The 'oil painting' style is not found: the texture statistic separates the MLP U-Net's samples "
                 f"from the plain U-Net's no better than a folded AUC of {report.fmt(v16)}, the value it gives for two "
                 f"sets of one model ({report.fmt(c16v)}). "
                 + (f"That is weak evidence against the essay, because the same statistic does not tell the plain "
                    f"U-Net's samples from real photos either (folded AUC {auc_data:.2f}): at 32×32 pixels the finest "
                    "band holds a few per cent of the variance of samples and photos alike, so the statistic is "
                    "nearly blind here, and a style the eye sees at 128² may simply have no room to show."
                    if blind else
                    f"The statistic is not blind, since it separates the plain U-Net's samples from real photos "
                    f"(folded AUC {auc_data:.2f}), so at this size the bottleneck leaves no measurable mark on fine "
                    "texture."))
else:
    parts.append(f"The MLP U-Net's own style stays undecided ({rec16['reason']}; folded AUC {report.fmt(v16)}, "
                 f"control {report.fmt(c16v)}).")
g17 = report.failed_gate(rec17)
if rec17["verdict"] == verdict.HOLDS:
    parts.append("At equal training compute the wide U-Net trades global order for detail and the extra level "
                 "restores the order on every seed, as the essay describes.")
elif rec17["verdict"] == verdict.FAILS:
    parts.append(f"At equal training compute the essay's pattern for wider and deeper U-Nets does not appear: "
                 f"a median of {report.fmt(rec17['median'], '.0f')} of its three orderings hold.")
elif g17 is not None and g17["name"] == "trained to rule":
    rule_gates = [g for g in rec17["gates"] if g["name"] == "trained to rule"]
    capped = [v for g in rule_gates for v in g["seeds"].values() if v is not None and
              not claims.GATES["trained to rule"].passes(v)]
    n_runs = sum(len(g["seeds"]) for g in rule_gates)
    other = sorted({g["name"] for g in rec17["gates"] if not g["passed"]} - {"trained to rule"})
    parts.append(f"C17 cannot be decided on this machine: at a common budget of {budget / 1e12:.2f} TFLOP "
                 f"{len(capped)} of the {n_runs} training runs (three models, {len(ch.seeds)} seeds) were still "
                 f"improving by {min(capped):.0%} to {max(capped):.0%} over their last doubling of steps, so the cap, "
                 "not a plateau, ended them, and the orderings the essay describes would be read off unfinished "
                 f"models (they met a median of {report.fmt(rec17['median'], '.0f')} of 3, the control "
                 f"{report.fmt((rec17['control'] or {}).get('value'), '.0f')})"
                 + (f"; the gate '{other[0]}' failed too" if other else "") + ".")
else:
    parts.append(f"C17 stays undecided ({rec17['reason']}).")
v18, c18v = rec18["median"], (rec18["control"] or {}).get("value")
if rec18["verdict"] == verdict.HOLDS:
    parts.append(f"More compute for the same model does give better samples: four times the training FLOPs bring "
                 f"the distance to {report.fmt(v18)} of the smaller budget's on every seed (the model sampled twice: "
                 f"{report.fmt(c18v)}).")
elif rec18["verdict"] == verdict.FAILS:
    parts.append(f"More compute alone does not give better samples here: four times the training FLOPs leave the "
                 f"base U-Net's samples at {report.fmt(v18)} of the smaller budget's distance (the model sampled twice: "
                 f"{report.fmt(c18v)}), because its held-out reconstruction error had nearly stopped falling after the "
                 f"first quarter ({med([S[s]['var']['base'].curve[-1][1] for s in ch.seeds]):.3f} to "
                 f"{med([S[s]['unet'].curve[-1][1] for s in ch.seeds]):.3f}); the essay's gain came with a bigger "
                 "model, which is C17's question, not compute's.")
else:
    per_seed = ", ".join(report.fmt(q["value"]) for q in rec18["seeds"])
    parts.append(f"Whether more compute gives better samples stays undecided ({rec18['reason']}): four times the "
                 f"training FLOPs of the same U-Net moved its samples' distance by a factor of {per_seed} on the "
                 f"three seeds (the model sampled twice: {report.fmt(c18v)}), while its held-out reconstruction error fell "
                 f"only from {med([S[s]['var']['base'].curve[-1][1] for s in ch.seeds]):.3f} to "
                 f"{med([S[s]['unet'].curve[-1][1] for s in ch.seeds]):.3f}; at this size the sample quality after "
                 "the first quarter of training varies more between seeds than it improves with compute.")
v31, c31v = rec31["median"], (rec31["control"] or {}).get("value")
fa_base, fa_wide = report.seed_median(rec31, "fauc_base"), report.seed_median(rec31, "fauc_wide")
base_dir = "smoother" if report.seed_median(rec31, "auc_base") < 0.5 else "grainier"
if rec31["verdict"] == verdict.HOLDS:
    parts.append(f"Width does remove part of the base U-Net's texture artefacts: by the finest band's share of "
                 f"variance, the base model's samples are told from photos with a folded AUC of {fa_base:.2f} and the "
                 f"wide model's with {fa_wide:.2f}, a gap of {report.fmt(v31)} with every seed above "
                 f"{claims.get('C31').test().limit:g}, where the base model sampled twice gives {report.fmt(c31v)}; "
                 f"the base samples are {base_dir} than the photos, "
                 + ("the painting-like direction the essay describes." if base_dir == "smoother" else
                    "so what width removes here is excess fine-scale energy rather than a painted smoothness."))
elif rec31["verdict"] == verdict.FAILS:
    wide_dir = "smoother" if report.seed_median(rec31, "auc_wide") < 0.5 else "grainier"
    parts.append(f"Width does not measurably reduce the painting-like texture here: by the finest band's share the "
                 f"wide U-Net's samples are told from photos with a folded AUC of {fa_wide:.2f}, the base U-Net's "
                 f"with {fa_base:.2f}, a gap of {report.fmt(v31)} where the claim needs "
                 f"{claims.get('C31').test().limit:g} (the base model sampled twice: {report.fmt(c31v)})"
                 + (f"; the wide model's samples are the further from photos, and {wide_dir} than them."
                    if fa_wide > fa_base else
                    f"; the base model's samples are themselves hard to tell from photos by this statistic, so at "
                    f"{P.data.image_size}×{P.data.image_size} pixels there is little painting-like texture for "
                    "width to remove." if fa_base < 0.6 else "."))
else:
    g31 = report.failed_gate(rec31)
    why = rec31["reason"] + ("; these are C17's models, and the compute cap, not a plateau, ended their training"
                             if g31 is not None and g31["name"] == "trained to rule" else "")
    parts.append(f"Whether width removes the painting-like texture stays undecided ({why}): the base U-Net's "
                 f"samples are told from photos with a folded AUC of {fa_base:.2f} and the wide U-Net's with "
                 f"{fa_wide:.2f}, a gap of {report.fmt(v31)} against {report.fmt(c31v)} for the base model "
                 f"sampled twice; the base samples are {base_dir} than the photos"
                 + (", the painting-like direction the essay describes." if base_dir == "smoother" else
                    ", so what this statistic separates here is excess fine-scale energy, not the painted "
                    "smoothness the essay describes."))
conclusion = " ".join(parts)
ch.glue("c05_conclusion", conclusion)

# %%
ch.other_scales();

# %% [markdown]
# ## At other scales
#
# {glue:text}`other_scales` The first page sets every claim at every committed scale side by
# side ({ref}`scales`).

# %% [markdown]
# ## References
#
# - B. L. Badger, *Autoencoders: Learning by Copying*, blbadger.github.io (section "Diffusion with
#   no Diffusion").
# - Z. Kadkhodaie, E. P. Simoncelli, *Stochastic Solutions for Linear Inverse Problems using the
#   Prior Implicit in a Denoiser*, NeurIPS 2021.
# - A. Bansal, E. Borgnia, H.-M. Chu, J. S. Li, H. Kazemi, F. Huang, M. Goldblum, J. Geiping,
#   T. Goldstein, *Cold Diffusion: Inverting Arbitrary Image Transforms Without Noise*, 2022.
# - T. Karras, T. Aila, S. Laine, J. Lehtinen, *Progressive Growing of GANs for Improved
#   Quality, Stability, and Variation*, ICLR 2018 (sliced Wasserstein on Laplacian pyramids).
# - J. Ho, A. Jain, P. Abbeel, *Denoising Diffusion Probabilistic Models*, NeurIPS 2020.
# - O. Ronneberger, P. Fischer, T. Brox, *U-Net: Convolutional Networks for Biomedical Image
#   Segmentation*, MICCAI 2015.
# - R. Flamary et al., *POT: Python Optimal Transport*, JMLR 2021.
