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
# (memorization)=
# # Copying, memorizing, generalizing
#
# The first seven chapters asked whether the essay's autoencoders do what the essay says they do.
# This chapter and the next go beyond the essay. Its central question, whether a network trained
# only to copy can do anything other than copy, has a sharper form in the recent literature:
# *where* does copying turn into memorizing, and where into generalizing? Published protocols
# answer that for other networks; here they are run on the essay's own models, data and sampler.
#
# ## Words
#
# The same word is used for opposite things. The essay says that an autoencoder which has learned
# the identity, and so returns any input unchanged, has "memorized" its inputs. Zhang, Bengio,
# Hardt, Mozer and Singer (2020) use the word the other way round: a network trained to
# reproduce a single image *memorizes* when it becomes the constant map that returns that image
# whatever it is shown, and *generalizes* when it becomes the identity. Kadkhodaie, Guth,
# Simoncelli and Mallat (2024) use *memorizing* for a generative model whose samples are its
# training images. From here on this book says:
#
# - **copying**: the model returns its input, $O(a) \approx a$ for any $a$ (the identity; the
#   essay's "memorizing");
# - **memorizing**: the model's outputs are its training images, whatever the input (Zhang et
#   al.'s constant map, Kadkhodaie et al.'s reproduced training images);
# - **generalizing**: the model produces images that are in neither of those.
#
# Similarity between two images is measured throughout as the Pearson correlation of their
# pixels (the cosine of the two images after each one's mean is removed). The plain cosine of
# two images with values in $[0, 1]$ is close to 1 for any pair, so it cannot tell them apart.
#
# This chapter measures five extensions (X1–X5 on the first page):
#
# - **X1** trained on one image, does the FC autoencoder or the no-skip U-Net become the constant
#   map, the identity, or neither?
# - **X2** two identical U-Nets trained on disjoint sets of $N$ images and sampled from the same
#   noise: at which $N$ do they start producing the *same* image rather than each its own
#   training images?
# - **X3** how the FC autoencoder's identity gap depends on its width and its training length;
# - **X4** are training images attractors of the trained map?
# - **X5** is the stopping of the noise-free manifold walk (chapter {ref}`manifold-walk`) the
#   same thing as falling into an attractor?

# %% tags=["parameters"]
PROFILE = "cpu"

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import display

import aelib.chapter
from aelib import batchnorm, claims, corruption, data, dynamics, figures, gates, memorization, metrics, models, report
from aelib.sampler import SamplerConfig
from aelib.seeding import set_seed
from aelib.verdict import check

ch = aelib.chapter.start("08_memorization", PROFILE)
P = ch.profile
SEEDS = ch.seeds
ch.show_data()

# %% [markdown]
# ## The tests, fixed before the runs
#
# Each extension is measured once per seed ({glue:text}`n_seeds` seeds; a seed retrains every
# model the extension rests on and redraws every image choice and noise), and its verdict follows
# the book's rule: *holds* when every seed clears the threshold, *does not hold* when none does,
# *inconclusive* otherwise, or when a validity gate fails, or when the control clears the
# threshold too. Thresholds live in the book's claim registry; changes made after results existed
# are in its changelog.

# %%
display(ch.claims_table())
ch.glue("n_seeds", str(len(SEEDS)))
X3_ALPHAS = (0.9, 0.7, 0.5)  # corruption levels of the identity gap (chapter 01's lightest three)
# X3's widths: under-complete and the book's width (a 2x-complete model costs ~2x the book's per step:
# over the cpu budget at three seeds)
X3_WIDTHS = tuple(sorted({min(P.mem.fc_widths), P.fc.width}))
# X2's rungs: the smallest N that fills a walk batch (X4 iterates its model in such batches), the
# middle of the rest of the profile's ladder, and its largest N
_ladder = [n for n in P.mem.ladder if n >= P.walk.batch_size] or [P.mem.ladder[-1]]
X2_RUNGS = tuple(sorted({_ladder[0], _ladder[(len(_ladder) - 1) // 2], _ladder[-1]}))
# X5: each seed walks walk.walkers // 4 held-out images (whole walk batches), as chapter 04 does per seed
# X1: the single-image models' cap, half the profile's mem.single_steps (three seeds x three models at the
# cpu budget); the stopping rule's gate still checks the last doubling
X1_STEPS = max(2, P.mem.single_steps // 2)
X5_WALKERS = max(P.walk.batch_size, (P.walk.walkers // 4) // P.walk.batch_size * P.walk.batch_size)


def keep(run):
    """Record a run trained along the stopping rule outside ch.train_rule (on a chosen image set)."""
    ch.rule_runs[run.subject] = run.as_dict()
    ch._write_rule_runs()
    return run

# %% [markdown]
# Every model of this chapter is trained along the book's stopping rule: its held-out error is
# measured at a quarter, half and all of a cap of steps, and the *trained to rule* gate asks that the
# last doubling improved it by less than 10 %. Models trained on a set smaller than one batch are
# trained on a batch of exactly that set: the mean loss and every BatchNorm statistic of a batch of
# 32 that holds each of 8 images four times are those of the 8 images once, so the gradients are the
# same, at a quarter of the cost (the test suite checks it).
#
# (claim-x1)=
# ## X1 — the single-example test
#
# Zhang et al. (2020) trained networks to reproduce one image and asked what function they
# learned. Convolutional networks of up to about ten layers learned the identity; fully
# connected networks did not, even from many examples. Here the two models of chapter
# {ref}`identity` are trained on a single crop of the shipped photos (a different crop for each
# seed), both at the FC model's resolution ({glue:text}`fc_res`) for up to
# {glue:text}`single_steps` steps, and then shown a batch of held-out crops. The control is the
# U-Net *with* its encoder-to-decoder skips, trained the same way: a model that can pass its
# input through, so the test can come out the other way.
#
# One detail of the essay's FC autoencoder decides much before any training: its first layer is
# followed by a BatchNorm, and over a batch of identical images every feature has zero variance,
# so in training the normalised features are all zero and the decoder sees the same input whatever
# the image is. Shown a batch of different held-out images, the same layer normalises features
# that training never shaped.

# %%
FC_RES = P.fc.image_size
probes = ch.eval_images(FC_RES)
singles = {"FC autoencoder": ch.shared_config("fc"),
           "no-skip U-Net": ch.shared_config("unet", image_size=FC_RES),
           "skip U-Net (control)": ch.shared_config("unet_skips", image_size=FC_RES)}
train_small = ch.data_at(FC_RES).train
m1 = ch.measurement("X1")
x1_rows, x1_show = [], {}
for s in SEEDS:
    pick = int(torch.randint(len(train_small), (1,), generator=ch.rng("single image", s, device="cpu")))
    one = train_small[pick:pick + 1]
    a_train = data.ImageSet.to_float(one)[0].to(ch.device)
    res, runs = {}, {}
    for label, cfg in singles.items():
        tag = {"FC autoencoder": "fc", "no-skip U-Net": "unet", "skip U-Net (control)": "unet_skips"}[label]
        runs[label] = keep(memorization.train_rule_on(
            f"x1_{tag}", cfg, one, ch.train_config(seed=s), "photos_single", cap=X1_STEPS,
            error_of=lambda m: memorization.heldout_error(m, probes), subject=f"X1 {label} (seed {s})", seed=s,
            device=ch.device))
        model = runs[label].model
        eval_copy = batchnorm.RunningStatistics(model)  # taken before any train-mode call below
        for mode, O in (("train", model), ("eval", eval_copy)):
            r = memorization.single_example(O, a_train, probes)
            res[(label, mode)] = r
            x1_rows.append({"seed": s, "model": label, "BatchNorm": mode, "corr(O(x), training image)": r.corr_to_train,
                            "corr(O(x), x)": r.corr_to_input, "regime": r.regime,
                            "final training loss": float(np.mean(runs[label].trained.losses[-25:]))})
    if s == SEEDS[0]:
        x1_show = {"res": res, "a_train": a_train}
    value = max(res[("FC autoencoder", "train")].corr_to_input, res[("no-skip U-Net", "train")].corr_to_input)
    m1.add(s, value=value, control=res[("skip U-Net (control)", "train")].corr_to_input,
           gates=[runs[k].gate() for k in singles],
           details={f"{k} ({mode})": {"corr_to_train": v.corr_to_train, "corr_to_input": v.corr_to_input,
                                     "regime": v.regime} for (k, mode), v in res.items()})
x1 = pd.DataFrame(x1_rows)
rec1 = ch.claim(m1, figure="fig_x1_unet")
x1_summary = x1.groupby(["model", "BatchNorm"]).agg(
    {"corr(O(x), training image)": "median", "corr(O(x), x)": "median",
     "regime": lambda r: ", ".join(r), "final training loss": "median"})
x1_summary["final training loss"] = x1_summary["final training loss"].map(lambda v: f"{v:.2g}")
report.show(x1_summary.rename(columns={"regime": "regime per seed"}))

# %% [markdown]
# Per model and BatchNorm mode, medians over seeds: how the outputs on held-out probes $x$
# correlate with the training image and with the probes themselves, the regime each seed's model
# fell into, and the final training loss.

# %%
res0, a0 = x1_show["res"], x1_show["a_train"]
for label, key in (("no-skip U-Net", "fig_x1_unet"), ("FC autoencoder", "fig_x1_fc")):
    fig = figures.image_rows({"probe x": probes, "O(x), train mode": res0[(label, "train")].outputs,
                              "O(x), eval mode": res0[(label, "eval")].outputs,
                              "training image": a0.expand(8, -1, -1, -1)}, n=8)
    ch.figure(fig, key)
plt.close("all")


def _med(model, mode, col):
    return float(x1[(x1.model == model) & (x1.BatchNorm == mode)][col].median())


for key, name in (("fc", "FC autoencoder"), ("unet", "no-skip U-Net"), ("skip", "skip U-Net (control)")):
    for suffix, mode in (("", "train"), ("_eval", "eval")):
        regimes = x1[(x1.model == name) & (x1.BatchNorm == mode)].regime.tolist()
        ch.glue(f"x1_{key}_regime{suffix}", ", ".join(regimes))
        ch.glue(f"x1_{key}_train{suffix}", _med(name, mode, "corr(O(x), training image)"))
        ch.glue(f"x1_{key}_input{suffix}", _med(name, mode, "corr(O(x), x)"))
ch.glue("fc_res", f"{FC_RES} × {FC_RES}")
ch.glue("single_steps", str(X1_STEPS));

# %% [markdown]
# ```{glue:figure} fig_x1_unet
# :name: fig-08-x1-unet
# :alt: Four rows of eight crops: held-out probes, the no-skip U-Net's outputs in train mode and in eval mode, and the single training crop repeated.
#
# The no-skip U-Net trained on one crop (bottom row) applied to held-out crops (top row), with
# BatchNorm in train mode (the book's setting) and in eval mode; first seed.
# ```
#
# ```{glue:figure} fig_x1_fc
# :name: fig-08-x1-fc
# :alt: Four rows of eight crops: held-out probes, the FC autoencoder's outputs in train mode and in eval mode, and the single training crop repeated.
#
# The same test for the FC autoencoder: held-out probes (top), its outputs in train mode and in
# eval mode, and the training crop (bottom); first seed.
# ```
#
# Medians over seeds, in the book's setting (train-mode BatchNorm): the U-Net's outputs correlate
# {glue:text}`x1_unet_input:.2f` with their inputs and {glue:text}`x1_unet_train:.2f` with the
# training image (regime per seed: {glue:text}`x1_unet_regime`); the FC autoencoder's correlate
# {glue:text}`x1_fc_input:.2f` with their inputs and {glue:text}`x1_fc_train:.2f` with the
# training image ({glue:text}`x1_fc_regime`). The control, the skip U-Net trained the same way,
# reaches {glue:text}`x1_skip_input:.2f` with its inputs ({glue:text}`x1_skip_regime`). The claim
# that neither model becomes the identity: **{glue:text}`x1_verdict`** ({glue:text}`x1_reason`).
#
# Train-mode BatchNorm is what this test probes first. Every training batch held copies of one
# image, so every BatchNorm learned to work with the statistics of that one image; a batch of
# different held-out images brings statistics the network has never seen. In eval mode (each
# BatchNorm uses the running statistics collected in training, those of the training image, and
# each probe is processed on its own) the U-Net's regimes are {glue:text}`x1_unet_regime_eval`
# ({glue:text}`x1_unet_input_eval:.2f` with the input, {glue:text}`x1_unet_train_eval:.2f` with
# the training image) and the FC autoencoder's {glue:text}`x1_fc_regime_eval`
# ({glue:text}`x1_fc_input_eval:.2f`, {glue:text}`x1_fc_train_eval:.2f`). The verdict reads the
# book's setting; the eval-mode numbers are in the ledger's details.

# %% [markdown]
# (claim-x2)=
# ## X2 — two denoisers on disjoint data
#
# Kadkhodaie et al. (2024) trained two identical denoisers on two *disjoint* sets of $N$ face
# images and sampled both from the same noise. With few images each model reproduced images of its
# own set; with enough images (around $10^4$–$10^5$ faces at 80 × 80) the two models produced
# nearly the same new image, one that was in neither set. Here the denoisers are the essay's
# no-skip U-Net, trained only to copy, and the sampler is chapter {ref}`diffusion`'s
# denoise-and-renoise iteration, both models started from the same noise and fed the same fresh
# noise at every step.
#
# The shipped photos' crops are split into two halves **by source photo** (every crop of a photo
# goes to the same half, so the two models never see overlapping crops of one scene; each seed
# draws its own split), and each rung's sets are the first $N$ images of each half, so the sets
# grow by inclusion. The rungs are $N$ = {glue:text}`x2_rungs`, at {glue:text}`mem_res`; every
# model is the same U-Net ({glue:text}`mem_params` parameters) trained for up to
# {glue:text}`mem_steps` steps whatever $N$ is, its held-out error measured on crops of the other
# half's photos.
#
# Two numbers per rung. $c_{AB}$ is the median correlation of the two models' samples from the
# same noise: Kadkhodaie et al.'s generalization is $c_{AB}$ near 1. The **memorization gap** is,
# per sample, its correlation with the nearest image of its own model's training set *minus* its
# correlation with the nearest image of the other half's set, which holds as many images. A copy
# of a training image has a large gap; a new image, from neither set, has a gap near 0, however
# large the sets are. The chapter's previous statistic, the correlation with the nearest own
# training image alone, grew with the size of the set whatever the model did: it equalled the same
# number measured against the other half's set (0.816 against 0.816), so it measured the pool.
# The controls: the same models' samples from *different* noise must not agree (else every sample
# is the same blur), and at the smallest rung the gap must be large (else the gap could not show
# memorization where it is expected).

# %%
def ladder_model(channels: int):
    return ch.shared_config("unet", image_size=P.mem.image_size, channels=channels)


mem_sampler = SamplerConfig(steps=P.mem.sample_steps, n_samples=P.mem.samples, batch_size=P.mem.samples,
                            frame_every=P.mem.sample_steps)
photos_small = ch.data_at(P.mem.image_size)
images_p = torch.cat([photos_small.train, photos_small.heldout])
groups_p = photos_small.train_image_groups + photos_small.heldout_image_groups
ladders, m2, x2_rows = {}, ch.measurement("X2"), []
for s in SEEDS:
    lad = memorization.two_denoiser(images_p, groups_p, X2_RUNGS, ladder_model(3),
                                    ch.train_config(steps=P.mem.steps, seed=s), mem_sampler, name="x2_photos", seed=s,
                                    device=ch.device, rule=True, n_heldout=P.data.n_eval, compact=True)
    ladders[s] = lad
    low, top = lad.rungs[0], lad.rungs[-1]
    shared = {groups_p[i] for i in top.index_a.tolist()} & {groups_p[i] for i in top.index_b.tolist()}
    assert not shared, f"seed {s}: photos in both halves: {shared}"
    checks = []
    for r in lad.rungs:
        keep(r.runs[0]), keep(r.runs[1])
        checks += [run.gate() for run in r.runs]
    for tag, model, own in (("A", top.model_a, top.index_a), ("B", top.model_b, top.index_b)):
        held = data.ImageSet.to_float(images_p[top.heldout(tag, P.data.n_eval)]).to(ch.device)
        checks.append(gates.model_works(f"ladder {tag}, N={top.n} (seed {s})", model, held, images_p[own], s))
    m2.add(s, value={"value": top.cross_median, "gap": top.gap_median},
           control={"value": top.cross_shifted_median, "gap": low.gap_median}, gates=checks,
           details={"table": lad.table().reset_index().to_dict("list"),
                    "halves": [len(top.half_a), len(top.half_b)]})
    x2_rows.append(lad.table().assign(seed=s).reset_index())
x2 = pd.concat(x2_rows)
rec2 = ch.claim(m2, figure="fig_x2_curves")
ch.glue("x2_rungs", ", ".join(str(r.n) for r in ladders[SEEDS[0]].rungs))
ch.glue("mem_res", f"{P.mem.image_size} × {P.mem.image_size}")
ch.glue("mem_steps", str(P.mem.steps))
ch.glue("mem_params", f"{models.n_params(models.build(ladder_model(3))):,}")
report.show(x2.groupby("N").median().drop(columns="seed"))

# %% [markdown]
# Per rung $N$, medians over seeds: the agreement $c_{AB}$ of the two models' samples from the
# same and from different noise, each sample's correlation with the nearest image of its own and
# of the other half's training set, and the memorization gap between the two.

# %%
fig, axes = plt.subplots(1, 2, figsize=(8.5, 4.6))
for s, color in zip(SEEDS, ("C0", "C1", "C2", "C3", "C4")):
    t = x2[x2.seed == s]
    axes[0].plot(t.N, t["c_AB same noise"], "-o", color=color, label=f"seed {s}: same noise")
    axes[0].plot(t.N, t["c_AB different noise"], ":x", color=color, label=f"seed {s}: different noise")
    axes[1].plot(t.N, t["gap = c_own - c_other"], "-o", color=color, label=f"seed {s}")
axes[0].axhline(claims.get("X2").test("value").limit, color="k", lw=0.8, ls="--")
axes[1].axhline(claims.get("X2").test("gap").limit, color="k", lw=0.8, ls="--")
axes[0].set_ylabel("c_AB: corr(sample of A, sample of B)")
axes[1].set_ylabel("memorization gap: c_own - c_other")
for ax in axes:
    ax.set_xscale("log")
    ax.set_xlabel("N, training images per model")
    ax.grid(alpha=0.3)
fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=3, fontsize=9)
fig.tight_layout(rect=(0, 0.2, 1, 1))
ch.figure(fig, "fig_x2_curves")
plt.close(fig)

K = min(8, P.mem.samples)
rows = {}
for r in ladders[SEEDS[0]].rungs:
    rows[f"N={r.n} A"] = r.samples_a
    rows[f"N={r.n} A: nearest"] = r.nearest_a
    rows[f"N={r.n} B"] = r.samples_b
    rows[f"N={r.n} B: nearest"] = r.nearest_b
fig = figures.image_rows(rows, n=K, scale=0.8)
ch.figure(fig, "fig_x2_pairs_photos")
plt.close(fig)

top_med = x2[x2.N == x2.N.max()].median()
low_med = x2[x2.N == x2.N.min()].median()
ch.glue("x2_nmax", str(int(x2.N.max())))
ch.glue("x2_nmin", str(int(x2.N.min())))
ch.glue("x2_cab", float(top_med["c_AB same noise"]))
ch.glue("x2_cab_diff", float(top_med["c_AB different noise"]))
ch.glue("x2_gap", float(top_med["gap = c_own - c_other"]))
ch.glue("x2_gap_min", float(low_med["gap = c_own - c_other"]))
ch.glue("x2_own", float(top_med["c_own (nearest own image)"]))
ch.glue("x2_other", float(top_med["c_other (nearest image of the other half)"]))
ch.glue("x2_own_min", float(low_med["c_own (nearest own image)"]));

# %% [markdown]
# ```{glue:figure} fig_x2_curves
# :name: fig-08-x2-curves
# :alt: Two line plots against N on a log axis: left the correlation of the two models' samples from the same and from different noise, right the memorization gap, one line per seed, dashed thresholds.
#
# Left: how alike the two models' samples are, from the same noise (solid) and from different
# noise (dotted, the control). Right: the memorization gap, each sample's correlation with its
# nearest own training image minus that with the nearest image of the other half's set. One line
# per seed; dashed: the thresholds. Memorizing: gap high, solid low. Generalizing (Kadkhodaie et
# al.): gap near 0, solid near 1, dotted low.
# ```
#
# ```{glue:figure} fig_x2_pairs_photos
# :name: fig-08-x2-pairs-photos
# :alt: For each training-set size N, four rows of eight images: samples of model A, their nearest training images, samples of model B from the same noise, and their nearest training images.
#
# First seed: for each $N$, samples of model A, their nearest training images (A's set), samples
# of model B from the same noise, their nearest training images (B's set).
# ```
#
# At the largest rung, $N$ = {glue:text}`x2_nmax` (medians over seeds), the two models' samples
# from the same noise correlate {glue:text}`x2_cab:.2f` (from different noise:
# {glue:text}`x2_cab_diff:.2f`), and the memorization gap is {glue:text}`x2_gap:.3f`: a sample
# correlates {glue:text}`x2_own:.2f` with its nearest own training image and
# {glue:text}`x2_other:.2f` with the nearest image of the other half. At the smallest rung, $N$ =
# {glue:text}`x2_nmin`, the gap is {glue:text}`x2_gap_min:.3f` (nearest own image:
# {glue:text}`x2_own_min:.2f`). The claim that the two models generate the same new image:
# **{glue:text}`x2_verdict`** ({glue:text}`x2_reason`).

# %% [markdown]
# (claim-x3)=
# ## X3 — the identity gap over width and training length
#
# Chapter {ref}`identity` found that the FC autoencoder at the book's width does not learn the
# identity. Is that a matter of too few parameters or too little training? The map below reads
# $g(\alpha)$ of chapter {ref}`identity` on the held-out crops for the autoencoder at widths
# {glue:text}`x3_widths` ({glue:text}`x3_in` numbers in an image; the book's width is
# {glue:text}`x3_book_width`, chapter {ref}`identity`'s model) after each length of the stopping
# rule's schedule, up to {glue:text}`x3_cap` steps. The control is the identity map measured on
# the same images and noise.

# %%
m3, x3_rows = ch.measurement("X3"), []
eval_fc = ch.eval_images(FC_RES)
for s in SEEDS:
    checks, g_min = [], []
    for w in X3_WIDTHS:
        name = "fc" if w == P.fc.width else f"fc_w{w}"
        cfg = ch.shared_config("fc", width=w)
        run = ch.shared("fc", s) if w == P.fc.width else ch.train_rule(name, cfg, s, cap=P.fc.steps)
        checks += [run.gate(), ch.model_works(f"FC width {w}", run.model, s, size=FC_RES)]
        for steps, _ in run.curve:
            t = ch.train(name, cfg, ch.train_config(steps=steps, seed=s))
            tab = metrics.ratio_table(t.model, eval_fc, X3_ALPHAS, seed=s)
            x3_rows.append({"seed": s, "width": w, "steps": steps, "g min": float(tab["g"].min()),
                            "g(0.5)": float(tab.loc[0.5, "g"]), "r(0.5)": float(tab.loc[0.5, "r"]),
                            "k(0.5)": float(tab.loc[0.5, "k"]), "clean recon": float(tab.loc[0.5, "recon"])})
            g_min.append(float(tab["g"].min()))
    ident = metrics.ratio_table(lambda x: x.clone(), eval_fc, X3_ALPHAS, seed=s)
    m3.add(s, value=min(g_min), control=float(ident["g"].min()), gates=checks)
x3 = pd.DataFrame(x3_rows)
rec3 = ch.claim(m3, figure="fig_x3_map", details={"map": x3.to_dict("list")})
x3_map = x3.groupby(["width", "steps"]).median().drop(columns="seed")
report.show(x3_map.rename(columns={"g min": "g, min over alpha", "clean recon": "clean error"}))

# %% [markdown]
# Per width and training length, medians over seeds: the smallest identity gap over the three
# lightest corruptions, $g$, $r$ and $k$ at $\alpha = 0.5$, and the clean reconstruction error.

# %%
fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
for ax, col, cmap in zip(axes, ("g min", "r(0.5)", "k(0.5)"), ("viridis", "magma", "cividis")):
    grid = x3_map[col].unstack("steps")
    im = ax.imshow(grid.values, cmap=cmap, aspect="auto", origin="lower")
    ax.set_xticks(range(len(grid.columns)), grid.columns)
    ax.set_yticks(range(len(grid.index)), grid.index)
    ax.set_xlabel("training steps")
    ax.set_ylabel("hidden width")
    ax.set_title({"g min": "identity gap: min over alpha of g", "r(0.5)": "denoise ratio r(0.5)",
                  "k(0.5)": "noise gain k(0.5)"}[col], fontsize=9)
    for (i, j), v in np.ndenumerate(grid.values):
        ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=9, color="w" if v < grid.values.mean() else "k")
    fig.colorbar(im, ax=ax, fraction=0.046)
fig.tight_layout()
ch.figure(fig, "fig_x3_map")
plt.close(fig)
worst = x3.loc[x3["g min"].idxmin()]
ch.glue("x3_in", str(3 * FC_RES ** 2))
ch.glue("x3_widths", " and ".join(str(w) for w in X3_WIDTHS))
ch.glue("x3_book_width", str(P.fc.width))
ch.glue("x3_cap", str(P.fc.steps))
ch.glue("x3_worst", f"width {int(worst.width)} after {int(worst.steps)} steps, seed {int(worst.seed)}");

# %% [markdown]
# ```{glue:figure} fig_x3_map
# :name: fig-08-x3-map
# :alt: Three heat maps over hidden width (rows) and training steps (columns), with their values written in the cells: the identity gap, the denoise ratio and the noise gain.
#
# The FC autoencoder over hidden width (rows) and training steps (columns), medians over seeds.
# Left: the identity gap (0 for the identity); middle: the denoise ratio at $\alpha = 0.5$ (below
# 1: denoises); right: the noise gain (1 for the identity, 0 for a map that ignores the corruption).
# ```
#
# The smallest identity gap on a seed's map has median {glue:text}`x3_value:.2f` over seeds (the
# smallest of all: {glue:text}`x3_worst`). The claim that no cell learns the identity:
# **{glue:text}`x3_verdict`** ({glue:text}`x3_reason`).

# %% [markdown]
# (claim-x4)=
# ## X4 — are training images attractors?
#
# Radhakrishnan, Belkin and Uhler (2020) found that overparameterized autoencoders store their
# training images as attractors: iterating $x \leftarrow O(x)$ from near a training image returns
# to it. A fixed point attracts its neighbourhood when every eigenvalue of the Jacobian of $O$
# there has modulus below 1, so the number to measure is the spectral radius $\rho$. It is
# estimated by power iteration with Jacobian-vector products (`torch.func.jvp`), never forming the
# Jacobian, with the growth averaged geometrically so that a complex pair of dominant eigenvalues
# is handled (the test suite checks it on a known linear map). Because the models keep BatchNorm
# in train mode, $O$ maps a *batch* to a batch and the Jacobian is that of the batch map, over
# batches of {glue:text}`walk_batch` images, the batch of chapter {ref}`manifold-walk`'s walk.
#
# The model is X2's model A at the smallest rung, $N$ = {glue:text}`x4_small`, trained on few
# images as Radhakrishnan et al.'s were; its *model works* gate asks that it reconstructs its own
# training images better than their mean image does. The control is the same U-Net at its
# initialisation, at the same images: if an untrained network contracts there too, $\rho < 1$
# says nothing about training. Each model is also iterated {glue:text}`x4_steps` times from its
# training images, from the same images corrupted at $\alpha = 0.5$, and from pure noise: an
# iterate *converged* when its last step changed it by less than {glue:text}`tol` (relative; C13's
# criterion), and *retrieved* a training image when it converged and correlates at least
# {glue:text}`retrieve` with its nearest training image.

# %%
m4, x4_rows, x4_traj = ch.measurement("X4"), [], {}
for s in SEEDS:
    rung = ladders[s].rungs[0]
    model = rung.model_a
    own = images_p[rung.index_a]
    train_imgs = data.ImageSet.to_float(own).to(ch.device)
    a = memorization.tile(train_imgs, P.mem.starts)[:max(P.mem.starts, P.walk.batch_size)]
    a = a[:len(a) // P.walk.batch_size * P.walk.batch_size]
    set_seed(s)  # the initialisation the cache's training started from
    untrained = models.build(ladder_model(3)).to(ch.device).train()
    rho = dynamics.radii(model, a, P.walk.batch_size, P.mem.power_iters, seed=s)
    rho_ctrl = dynamics.radii(untrained, a, P.walk.batch_size, P.mem.power_iters, seed=s)
    g = ch.rng("attractor starts", s)
    starts = {"training images": a, "noisy training images": corruption.corrupt(a, 0.5, generator=g),
              "pure noise": corruption.noise_like(a, generator=g)}
    rho_noise = float(dynamics.radii(model, starts["pure noise"], P.walk.batch_size, P.mem.power_iters, seed=s).median())
    for label, O in (("trained", model), ("untrained (control)", untrained)):
        for kind, x0 in starts.items():
            st = dynamics.attractor_stats(O, x0, train_imgs, steps=P.mem.iterate_steps, batch_size=P.walk.batch_size,
                                          tol=P.mem.conv_tol, retrieve_corr=P.mem.retrieve_corr,
                                          power_iters=P.mem.power_iters, seed=s,
                                          frame_every=max(1, P.mem.iterate_steps // 10))
            x4_rows.append({"seed": s, "model": label, "start": kind, **st.fractions()})
            if s == SEEDS[0] and kind == "noisy training images":
                x4_traj[label] = st.trajectory
    works = gates.model_works(f"ladder A, N={rung.n} (seed {s}), own training images", model, train_imgs, own, s)
    m4.add(s, value=float(rho.median()), control=float(rho_ctrl.median()), gates=[rung.runs[0].gate(), works],
           details={"rho_noise": rho_noise, "rho_large_N": float(dynamics.radii(
               ladders[s].rungs[-1].model_a, data.ImageSet.to_float(images_p[ladders[s].rungs[-1].index_a[:len(a)]])
               .to(ch.device), P.walk.batch_size, P.mem.power_iters, seed=s).median())})
x4 = pd.DataFrame(x4_rows)
rec4 = ch.claim(m4, figure="fig_x4_trajectories")
report.show(x4.groupby(["model", "start"]).median().drop(columns="seed"))

# %% [markdown]
# Per model and start, medians over seeds: the fractions of iterates that converged and that
# retrieved a training image, with the other fractions the iteration records.

# %%
x4_frames = {k: w.frames for k, w in x4_traj.items()}
x4_n = min(8, next(iter(x4_frames.values())).shape[1])
ch.player("fig_x4_trajectories", x4_frames, next(iter(x4_traj.values())).frame_steps, n=x4_n, nrow=4,
          label="model", slider="iterate")
x4m = x4.groupby(["model", "start"]).median()
ch.glue("x4_small", str(ladders[SEEDS[0]].rungs[0].n))
ch.glue("x4_n", str(x4_n))
ch.glue("x4_steps", str(P.mem.iterate_steps))
ch.glue("walk_batch", str(P.walk.batch_size))
ch.glue("tol", f"{P.mem.conv_tol:g}")
ch.glue("retrieve", f"{P.mem.retrieve_corr:g}")
ch.glue("x4_rho_noise", report.seed_median(rec4, "rho_noise"))
ch.glue("x4_rho_large", report.seed_median(rec4, "rho_large_N"))
ch.glue("x4_conv", float(x4m.loc[("trained", "noisy training images"), "converged"]))
ch.glue("x4_retr", float(x4m.loc[("trained", "noisy training images"), "retrieved"]))
ch.glue("x4_conv_ctrl", float(x4m.loc[("untrained (control)", "noisy training images"), "converged"]));

# %% [markdown]
# ```{glue:figure} fig_x4_trajectories
# :name: fig-08-x4-trajectories
# :alt: A player over the iterations of O from noisy training images: a grid of images per recorded iterate, a slider, and buttons for the trained and the untrained model.
#
# Iterating $O$ from noisy training images ($\alpha = 0.5$), for the trained small-$N$ model and
# for the same network untrained (buttons; first seed, {glue:text}`x4_n` iterates each). The slider
# moves through the recorded iterations; a GIF of the trained model's run is saved beside the
# figures.
# ```
#
# At its own training images the small-$N$ model's spectral radius has median
# {glue:text}`x4_value:.3g` over seeds; the untrained network at the same images gives
# {glue:text}`x4_ctrl:.3g`. (At pure-noise images the trained model gives
# {glue:text}`x4_rho_noise:.3g`, and the largest-$N$ model at its training images
# {glue:text}`x4_rho_large:.3g`.) The claim that training images are attractors:
# **{glue:text}`x4_verdict`** ({glue:text}`x4_reason`). From noisy training images, a median
# {glue:text}`x4_conv:.0%` of the trained model's iterates converge and {glue:text}`x4_retr:.0%`
# retrieve a training image; {glue:text}`x4_conv_ctrl:.0%` of the untrained network's converge.

# %% [markdown]
# (claim-x5)=
# ## X5 — stopping the walk and falling into an attractor
#
# Chapter {ref}`manifold-walk` counted a noise-free walker as *still walking* when its last
# re-encoding changed it by more than {glue:text}`walk_tol` (C13). If a walker stops, it stopped
# on a fixed point of $O$; the question is whether that fixed point attracts ($\rho < 1$) or the
# walker merely slowed down. The walk of C13 is repeated here on the same model (the book's
# no-skip U-Net, one per seed, shared with chapter {ref}`manifold-walk`), on
# {glue:text}`walkers` held-out walkers per seed for {glue:text}`walk_steps` steps, and the
# spectral radius is measured at every walker's end point.
#
# Agreement is only evidence when both verdicts vary across walkers. If every walker walks and
# none sits in an attractor, "walking" and "not in an attractor" agree on every walker by
# construction. The control measures that: the agreement of the same two verdicts paired at
# random. It is as high as the real agreement whenever either verdict is the same for (nearly)
# every walker, and then the verdict is inconclusive.

# %%
m5, x5_rows = ch.measurement("X5"), []
train_full = data.ImageSet.to_float(ch.data.train).to(ch.device)
eval_full = ch.eval_images()
for s in SEEDS:
    run = ch.shared("unet", s)
    idx = torch.randperm(len(eval_full), generator=ch.rng("walkers", s, device="cpu"))[:X5_WALKERS]
    st5 = dynamics.attractor_stats(run.model, eval_full[idx.to(eval_full.device)], train_full, steps=P.walk.steps,
                                   batch_size=P.walk.batch_size, tol=P.walk.tol, retrieve_corr=P.mem.retrieve_corr,
                                   power_iters=P.mem.power_iters, seed=s)
    walking, not_attr = st5.trajectory.walking(), ~st5.attractor
    moved = float(st5.trajectory.from_start[-1].median())
    value = dynamics.agreement(walking, not_attr)
    ctrl = dynamics.shuffled_agreement(walking, not_attr, seed=s)
    m5.add(s, value=value, control=ctrl,
           gates=[run.gate(), ch.model_works("unet", run.model, s),
                  check("iteration moved", f"noise-free walk (seed {s})", moved, s)],
           details={"walking": float(walking.float().mean()), "attractor": float(st5.attractor.float().mean()),
                    "converged": float(st5.converged.float().mean()), "median_rho_end": float(st5.rho_end.median())})
    x5_rows.append({"seed": s, "still walking": float(walking.float().mean()),
                    "converged": float(st5.converged.float().mean()),
                    "in an attractor": float(st5.attractor.float().mean()),
                    "median rho at end": float(st5.rho_end.median()), "moved from start": moved,
                    "agreement": value, "agreement, random pairing (control)": ctrl})
x5 = pd.DataFrame(x5_rows).set_index("seed")
rec5 = ch.claim(m5)
ch.glue("walk_tol", f"{P.walk.tol:g}")
ch.glue("walkers", str(X5_WALKERS))
ch.glue("walk_steps", str(P.walk.steps))
ch.glue("x5_walking", float(x5["still walking"].median()))
ch.glue("x5_attr", float(x5["in an attractor"].median()))
ch.glue("x5_rho", float(x5["median rho at end"].median()))
report.show(x5)

# %% [markdown]
# Per seed: the fractions of walkers still walking, converged and sitting in an attractor, the
# median spectral radius at the walkers' end points, how far they moved from their start, and the
# agreement of "still walking" with "not in an attractor", real and with the walkers paired at
# random (the control).
#
# A median {glue:text}`x5_walking:.0%` of the walkers are still walking after
# {glue:text}`walk_steps` steps and {glue:text}`x5_attr:.0%` sit in an attractor; the median
# spectral radius at their end points is {glue:text}`x5_rho:.3g`. The two verdicts agree on
# {glue:text}`x5_value:.0%` of the walkers, and on {glue:text}`x5_ctrl:.0%` when paired at
# random. The claim that stopping is falling into an attractor: **{glue:text}`x5_verdict`**
# ({glue:text}`x5_reason`).

# %% [markdown]
# ## How each model was trained
#
# Every model above was trained along the stopping rule; the figure shows each one's held-out
# error at the points of its schedule (one line per model and seed). A line that still falls
# steeply at its last point ended at the cap, and its *trained to rule* gate failed.

# %%
fig, ax = plt.subplots(figsize=(8, 5.2))
for subject, r in ch.rule_runs.items():
    xs, ys = zip(*r["curve"])
    family = subject.split(" (seed")[0].split(",")[0]
    ax.plot(xs, ys, "-o", ms=3, lw=0.8, alpha=0.7, label=family)
handles, labels = ax.get_legend_handles_labels()
uniq = dict(zip(labels, handles))
ax.legend(uniq.values(), uniq.keys(), fontsize=9, ncol=2)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("training steps")
ax.set_ylabel("held-out reconstruction error")
ax.grid(alpha=0.3)
fig.tight_layout()
ch.figure(fig, "fig_training_rule")
plt.close(fig)
report.show(pd.DataFrame(ch.rule_runs.values()).drop(columns="curve").set_index("subject"))

# %% [markdown]
# ```{glue:figure} fig_training_rule
# :name: fig-08-training-rule
# :alt: Held-out reconstruction error against training steps on log axes, one line per model and seed, coloured by model family.
#
# Held-out reconstruction error against training steps for every model of the chapter and seed
# (for the single-image models: their error on held-out crops; for the ladder models: on crops
# of the other half's photos).
# ```

# %% [markdown]
# ## What we found
#
# {glue:text}`x1_conclusion`
#
# {glue:text}`x2_conclusion`
#
# {glue:text}`x3_conclusion`
#
# {glue:text}`x4_conclusion`
#
# {glue:text}`x5_conclusion`
#
# All models here are small and trained for minutes on a CPU: the ladder's U-Nets see at most
# {glue:text}`mem_steps` batches at {glue:text}`mem_res` whatever $N$ is, while Kadkhodaie et
# al. trained to convergence on up to $10^5$ images. A generalization that is not reached here may
# be reached with more data or more training; the `paper` profile runs the full ladder on a GPU.
# The essay's sampler also injects its own noise, $\mathcal N(0.7, 0.2^2)$, which suits photographs.

# %%
fc_in, unet_in, skip_in = _med("FC autoencoder", "train", "corr(O(x), x)"), _med("no-skip U-Net", "train", "corr(O(x), x)"), \
    _med("skip U-Net (control)", "train", "corr(O(x), x)")
fc_tr = _med("FC autoencoder", "train", "corr(O(x), training image)")
lim1 = claims.get("X1").test().limit
text1 = (f"X1 ({rec1['verdict']}): trained on one crop, the FC autoencoder's outputs on held-out crops correlate "
         f"{fc_in:.2f} with their inputs and {fc_tr:.2f} with the training crop, the no-skip U-Net's {unet_in:.2f} "
         f"with their inputs; ")
if skip_in >= lim1:
    text1 += (f"the skip U-Net trained the same way reaches {skip_in:.2f}, so the test can tell a copier: "
              + ("neither of the essay's models becomes the identity, as Zhang et al. found for networks "
                 "without a path for the input." if rec1["verdict"] == "holds" else f"the verdict rests on {report.reason(rec1)}."))
else:
    text1 += (f"but the skip U-Net, which can pass its input through, reaches only {skip_in:.2f}: after training on "
              "one image in train-mode BatchNorm, no model here becomes the identity, so the test cannot say that "
              "the essay's two models differ from a copier.")
fc_regimes = x1[(x1.model == "FC autoencoder") & (x1.BatchNorm == "train")].regime
if (fc_regimes == "constant").all():
    text1 += (" On every seed the FC autoencoder became the constant map, returning its training crop whatever it "
              "is shown: Zhang et al.'s memorization, which its BatchNorm after the first layer forces in training "
              "(a batch of copies of one image normalises every feature to zero).")
cab, gap, gap_min = float(top_med["c_AB same noise"]), float(top_med["gap = c_own - c_other"]), \
    float(low_med["gap = c_own - c_other"])
t2 = claims.get("X2")
text2 = (f"X2 ({rec2['verdict']}): at N = {int(x2.N.max())} the two models' samples from the same noise correlate {cab:.2f} "
         f"({'at or above' if cab >= t2.test('value').limit else 'below'} the {t2.test('value').limit:g} that "
         f"'the same image' asks), and a sample is {gap:.3f} nearer (in correlation) to its own training set than "
         f"to the other half's; at N = {int(x2.N.min())} that gap is {gap_min:.3f}. ")
if gap_min < t2.test("gap").limit:
    text2 += ("Even the smallest rung's models do not reproduce their own images, so on this ladder no regime of "
              "memorization exists for generalization to replace: what the essay's copying U-Net plus its sampler "
              "produce is new with respect to both sets at every N, and the question of a transition does not arise.")
elif rec2["verdict"] == "holds":
    text2 += "The transition Kadkhodaie et al. found appears within the ladder."
else:
    text2 += (f"The models memorize at small N, and by N = {int(x2.N.max())} "
              + ("they no longer prefer their own set, " if gap < t2.test("gap").limit else "they still prefer their own set, ")
              + ("and they agree closely." if cab >= t2.test("value").limit else
                 "but they do not produce the same image: the ladder ends before Kadkhodaie et al.'s generalization."))
text3 = (f"X3 ({rec3['verdict']}): the smallest identity gap on a seed's width x training-length map has median "
         f"{rec3['median']:.2f} ({'no' if rec3['median'] >= claims.get('X3').test().limit else 'some'} cell comes near "
         f"the identity's 0); the book's FC autoencoder's failure to copy is not an artefact of its width or of "
         f"stopping early, within widths {' and '.join(map(str, X3_WIDTHS))} and {P.fc.steps} steps."
         if rec3["median"] >= claims.get("X3").test().limit else
         f"X3 ({rec3['verdict']}): somewhere on the map the FC autoencoder's identity gap falls to {rec3['median']:.2f}: "
         "with enough width or training it does copy.")
text3 += f" ({report.reason(rec3)}.)" if rec3["verdict"] != "holds" else ""
r4, c4 = rec4["median"], rec4["control"]["value"]
text4 = (f"X4 ({rec4['verdict']}): the spectral radius of the small-N model at its training images is {r4:.3g} "
         f"and that of the same network untrained {c4:.3g}. ")
if r4 < 1 and c4 < 1:
    text4 += ("Both contract: the untrained network already does, so a radius below 1 is a property of the "
              "architecture with train-mode BatchNorm, not a memory that training stored.")
elif r4 < 1:
    text4 += "Training made the training images attracting, where the initial network did not contract."
else:
    text4 += "The training images are not attractors: the trained map expands some direction at them."
text4 += f" ({report.reason(rec4)}.)" if rec4["verdict"] != "holds" else ""
w5, a5 = float(x5["still walking"].median()), float(x5["in an attractor"].median())
text5 = (f"X5 ({rec5['verdict']}): {w5:.0%} of the walkers still walk and {a5:.0%} sit in an attractor; the verdicts agree on "
         f"{rec5['median']:.0%} of them, and {rec5['control']['value']:.0%} when paired at random. ")
if rec5["control"]["clears"]:
    text5 += ("Since one verdict is the same for nearly every walker, that agreement is fixed by the proportions, "
              "not by a link between stopping and attractors: this walk cannot answer the question.")
elif rec5["verdict"] == "holds":
    text5 += "Walkers stop exactly where the map contracts: stopping is falling into an attractor."
else:
    text5 += f"Stopping and falling into an attractor are not the same here ({report.reason(rec5)})."
for k, t in (("x1", text1), ("x2", text2), ("x3", text3), ("x4", text4), ("x5", text5)):
    ch.glue(f"{k}_conclusion", t)

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
# - B. L. Badger, *Autoencoders: Learning by Copying*, blbadger.github.io.
# - C. Zhang, S. Bengio, M. Hardt, M. C. Mozer, Y. Singer, *Identity Crisis: Memorization and
#   Generalization under Extreme Overparameterization*, ICLR 2020.
# - Z. Kadkhodaie, F. Guth, E. P. Simoncelli, S. Mallat, *Generalization in diffusion models
#   arises from geometry-adaptive harmonic representations*, ICLR 2024.
# - A. Radhakrishnan, M. Belkin, C. Uhler, *Overparameterized neural networks implement
#   associative memory*, PNAS 2020.
