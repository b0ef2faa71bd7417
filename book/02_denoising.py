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
# The essay's representation error is $e = \lVert a_g - a\rVert / \lVert a \rVert$. A model whose
# first convolution has no bias and is followed by a train-mode batch norm cannot see a
# batch-wide offset of each colour channel, nor (nearly) a gain: such an offset is subtracted with
# the batch mean. The descent then has no gradient that would move its grey start toward the
# image's mean colour, and $e$ measures the start as much as the model. Beside the essay's $e$ we
# therefore report $e_\text{aff}$: the same error after giving $a_g$ the per-image, per-channel
# gain and offset that bring it closest to $a$ (least squares), which a model blind to such
# offsets could not have recovered anyway. Which of the two decides C4, C7 and C8, and why, is in
# the claims table and the changelog.
#
# This chapter measures, each on every seed of the profile (a seed retrains the models and
# redraws the descent's starts and the noise):
#
# - **C4** training makes the output layer's representation far less noisy;
# - **C5** the no-skip U-Net denoises held-out images from light to heavy corruption;
# - **C6** from pure noise it produces something image-like;
# - **C28** with longer training it restores heavily corrupted images, and pure noise, better;
# - **C7** the representation of a *corrupted* input is nearer the clean image than the input;
# - **C8** a U-Net with a narrow MLP in its bottleneck still autoencodes and denoises, but
#   represents its input poorly.

# %% tags=["parameters"]
PROFILE = "cpu"

# %%

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

import aelib.chapter
from aelib import (
    claims,
    compute,
    corruption,
    evaluation,
    figures,
    gates,
    lengths,
    metrics,
    models,
    reference,
    report,
    verdict,
)
from aelib.batchnorm import batch_statistics
from aelib.representation import errors, log_steps, nearer_than_input, offset_response
from aelib.seeding import set_seed

ch = aelib.chapter.start("02_denoising", PROFILE)
P = ch.profile
SEEDS = ch.seeds
ch.show_data()

# %% [markdown]
# ## Claims, measures and thresholds
#
# Fixed before the first run, in the book's claim registry (`aelib.claims`); every verdict below is
# computed from them over the seeds. A claim holds when every seed clears its threshold, does not
# hold when none does, and is inconclusive otherwise, or when a validity gate fails, or when its
# control clears the threshold too. C28, added for the essay's Fig. 6 after the others had been
# measured, was fixed the same way before its first run; its two conditions are ratios of the same
# model at two training lengths, so it asks what more training changes, not how good either
# model is.

# %%
ch.claims_table()

# %%
ALPHAS = (0.9, 0.7, 0.5, 0.3)   # the corruption levels of C5 (alpha = 1: clean, 0: pure noise)
C7_ALPHA = 0.5                  # the corruption of the inputs represented in C7 and of r in C8
REP_TARGETS = max(2, P.rep.targets // 4)   # held-out targets represented per seed (the same for every seed)
rep_every = log_steps(P.rep.steps, 10)     # steps at which e is read along each descent


def other(s):
    """The next seed of the profile: the 'another seed' of the controls of C4 and C8."""
    return SEEDS[(SEEDS.index(s) + 1) % len(SEEDS)]


# %% [markdown]
# ## The models, one per seed
#
# The no-skip U-Net of chapter {ref}`identity` and the same U-Net with the essay's narrow MLP in
# its bottleneck (C8) are shared with other chapters and loaded from the cache, one per seed, each
# trained along the book's stopping rule. An untrained U-Net per seed (its own initialisation) is
# the reference of C4 and the control of C6 and C7. For C28 the no-skip U-Net of each seed is
# also trained on, from where the shared run stopped, to {glue:text}`steps_long` steps: the longer
# run that chapter {ref}`manifold-walk` compares in its C14, loaded from the same cache. Every
# verdict below rests on the two gates of each trained model: *trained to rule* and *model works*
# (held-out clean reconstruction error below that of the mean training image).

# %%
unet_cfg = ch.shared_config("unet")
hid_cfg = ch.shared_config("unet_hidden")
a = ch.eval_images()
targets = a[:REP_TARGETS]
MULT = max(P.walk.train_mults)             # C28: the longer run is MULT times the shared model's training
RUN, LONG, HID, UNT, MODEL_GATES = {}, {}, {}, {}, {}
for s in SEEDS:
    RUN[s] = ch.shared("unet", s)
    LONG[s] = ch.longer_run("unet", s, MULT)
    HID[s] = ch.shared("unet_hidden", s)
    set_seed(ch.seed_of("untrained U-Net", s))
    UNT[s] = models.build(unet_cfg).to(ch.device).train()
    MODEL_GATES["unet", s] = [RUN[s].gate(), ch.model_works(f"unet (seed {s})", RUN[s].model, s)]
    MODEL_GATES["unet_hidden", s] = [HID[s].gate(), ch.model_works(f"unet_hidden (seed {s})", HID[s].model, s)]
    MODEL_GATES["unet_long", s] = [LONG[s].gate(), ch.model_works(f"{LONG[s].subject} (seed {s})", LONG[s].model, s)]
STEPS_SHORT, STEPS_LONG = ch.shared_steps("unet"), ch.shared_steps("unet") * MULT
ch.glue("steps_short", f"{STEPS_SHORT:,}")
ch.glue("steps_long", f"{STEPS_LONG:,}")
m0 = RUN[SEEDS[0]].model
ch.glue("unet_params", f"{models.n_params(m0):,}")
ch.glue("h_numbers", f"{m0.E(a[:2])[0].numel():,}")
ch.glue("input_numbers", f"{a[0].numel():,}")
ch.glue("hid_size", f"{models.n_params(HID[SEEDS[0]].model):,} parameters, with MLP widths "
        f"{', '.join(map(str, hid_cfg.params.hidden_mlp))}")
MODEL_NAMES = {"unet": "no-skip U-Net", "unet_long": f"no-skip U-Net, {STEPS_LONG:,} steps", "unet_hidden": "MLP U-Net"}
report.show(pd.DataFrame([{"model": MODEL_NAMES[name], "seed": s,
                           **{g.gate: g.value for g in gs}}
                          for (name, s), gs in MODEL_GATES.items()]))

# %% [markdown]
# The no-skip U-Net has {glue:text}`unet_params` parameters, and its $h$ holds
# {glue:text}`h_numbers` numbers for an input of {glue:text}`input_numbers`; the MLP U-Net has
# {glue:text}`hid_size`. The table
# gives each model's two gate values per seed (the no-skip U-Net at both training lengths): the last doubling's fall of the held-out error
# (*trained to rule*) and the clean reconstruction error over that of the mean training image
# (*model works*).

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.6))
colors = {"unet": "tab:blue", "unet_hidden": "tab:red"}
for subject, r in ch.rule_runs.items():
    steps, err = zip(*r["curve"])
    longer = subject.startswith("unet, ")  # the longer run of C28: dashed
    ax.plot(steps, err, "s--" if longer else "o-", color=colors.get(subject.split(" ")[0].rstrip(","), "grey"),
            alpha=0.8,
            label=f"{subject}: {r['reason']}, last doubling {r['improvement']:.1%}")
ax.set_xscale("log")
ax.set_xlabel("optimiser steps")
ax.set_ylabel("held-out |O(a) - a| / |a| (median)")
ax.legend(fontsize=9)
fig.tight_layout()
ch.figure(fig, "training_rule")

# %% [markdown]
# ```{glue:figure} training_rule
# :name: fig-02-training-rule
# :alt: Held-out reconstruction error against optimiser steps on a log axis, one line per model and seed.
#
# The held-out reconstruction error of each model at each point of the stopping rule's doubling
# schedule, one line per model and seed (train-mode batch norm), the no-skip U-Net's longer run
# of C28 dashed; the legend gives why each run stopped and how much its error fell over the last
# doubling. A model whose error still fell by
# more than the gate's limit over the last doubling was stopped by the budget cap; a verdict that
# rests on it is inconclusive.
# ```
#
# ## What batch norm lets the U-Net see
#
# The held-out photographs do not have the training photographs' mean colour, and in train mode
# the U-Net's batch norms normalise every batch with its own statistics, while in eval mode they
# use the running statistics of training. The table gives the clean held-out reconstruction error
# both ways, per seed.

# %%
def channel_means(x: torch.Tensor) -> list[float]:
    x = x.float()
    if x.max() > 1.5:  # uint8 images
        x = x / 255.0
    return [float(v) for v in x.mean(dim=(0, 2, 3))]


held_all = ch.data.eval_batch(len(ch.data.heldout), ch.device)
train_means, held_means = channel_means(ch.data.train), channel_means(held_all)
recon_modes = {}
for s in SEEDS:
    mdl = RUN[s].model
    train_err = gates.heldout_error(mdl, a)
    mdl.eval()
    eval_err = gates.heldout_error(mdl, a)
    mdl.train()
    recon_modes[s] = {"train mode": train_err, "eval mode": eval_err}
recon_df = report.per_seed(recon_modes)
brighter = float(np.mean(held_means)) > float(np.mean(train_means))
ch.glue("brightness", f"{'brighter' if brighter else 'darker'} than the training photographs (channel means "
        f"{' / '.join(f'{v:.2f}' for v in held_means)} against {' / '.join(f'{v:.2f}' for v in train_means)})")
ch.glue("recon_train_mode", float(recon_df["train mode"].median()))
ch.glue("recon_eval_mode", float(recon_df["eval mode"].median()))
report.show(recon_df)

# %% [markdown]
# The held-out photographs are {glue:text}`brightness`. The no-skip U-Net's median clean
# reconstruction error is {glue:text}`recon_train_mode:.3f` in train mode and
# {glue:text}`recon_eval_mode:.3f` in eval mode (medians over seeds). The next figure asks what
# a train-mode batch norm hides from the model: a per-channel offset of the whole batch.

# %%
SIZES = [0.0, 0.05, 0.1, 0.2, 0.3, 0.44, 0.6]
offsets = {}
for s in SEEDS:
    mdl = RUN[s].model
    offsets["train mode, one offset per batch", s] = offset_response(mdl, a, SIZES, seed=s)
    offsets["train mode, one offset per image", s] = offset_response(mdl, a, SIZES, per_image=True, seed=s)
    offsets["eval mode, one offset per batch", s] = offset_response(mdl, a, SIZES, eval_mode=True, seed=s)
fig, ax = plt.subplots(figsize=(5.5, 3.8))
styles = {"train mode, one offset per batch": "tab:blue", "train mode, one offset per image": "tab:orange",
          "eval mode, one offset per batch": "tab:green"}
for (label, s), rows in offsets.items():
    ax.plot([r["input_change"] for r in rows], [r["output_change"] for r in rows], "o-", color=styles[label],
            alpha=0.7, label=label if s == SEEDS[0] else None)
ax.plot([0, max(SIZES)], [0, max(SIZES)], "k:", lw=1, label="output moves as much as the input")
ax.set_xlabel("|per-channel offset| / |a|")
ax.set_ylabel("|O(a + offset) - O(a)| / |O(a)| (median)")
ax.legend(fontsize=9)
fig.tight_layout()
ch.figure(fig, "bn_offset_blindness")
i44 = SIZES.index(0.44)
blind = ch.glue_median("offset_train", [offsets["train mode, one offset per batch", s][i44]["output_change"] for s in SEEDS])
seen = ch.glue_median("offset_eval", [offsets["eval mode, one offset per batch", s][i44]["output_change"] for s in SEEDS])

# %% [markdown]
# ```{glue:figure} bn_offset_blindness
# :name: fig-02-bn-offset-blindness
# :alt: Relative change of the U-Net's output against the relative size of a per-channel offset added to its input, for three ways of adding it.
#
# A batch of held-out images shifted by a random per-channel offset of growing size (horizontal:
# the shift's norm over the image's) and how far the no-skip U-Net's output moves (vertical: over
# the output's norm), one line per seed and setting. With one offset for the whole batch, the
# train-mode model hardly moves: its batch norms subtract the shift. One offset per image (which
# the batch mean does not remove) and the eval-mode model (running statistics) move as much as
# the input does (dotted line).
# ```
#
# Shifting every image of the batch by 44 % of its norm moves the train-mode output by
# {glue:text}`offset_train:.3f` of its norm, the eval-mode output by {glue:text}`offset_eval:.3f`
# (medians over seeds). This is why the descent's grey start is never corrected, and why the
# essay's $e$ cannot fall below the part of $\lVert a_0 - a \rVert$ that such an offset explains.
#
# (claim-c4)=
# ## C4: does training clean up the output layer's representation?
#
# The same {glue:text}`rep_targets` held-out targets are represented by each seed's trained U-Net
# and by that seed's untrained U-Net, from starts drawn for that seed. For each descent we record
# $e$ and $e_\text{aff}$ at the start and along the way, and the loss at every step: the *descent
# moved* gate asks that $e_\text{aff}$ move by at least 10 % from its start, *descent converged*
# that the loss change by less than 5 % over its last fifth. The control is an untrained U-Net
# against another seed's untrained U-Net on the same targets.

# %%
ch.glue("rep_targets", REP_TARGETS)
REP = {}   # (model, seed, input) -> dict with a_g, a0, snapshots, losses, e, e0


def represent_record(name, model, s, x, offset):
    cfg = ch.representation_config(seed=ch.seed_of("representation start", s, offset))
    out = evaluation.descent(f"{name} descent (seed {s})", model, x, cfg, s, target=targets, at=rep_every)
    REP[name, s, "clean" if x is targets else "corrupted"] = out
    return out


for s in SEEDS:
    represent_record("unet", RUN[s].model, s, targets, 0)
    represent_record("untrained unet", UNT[s], s, targets, 0)

rows = []
for (name, s, _kind), r in REP.items():
    rows.append({"model": name, "seed": s, "e at start": r["e0"]["raw"], "e at end": r["e"]["raw"],
                 "e_aff at start": r["e0"]["affine"], "e_aff at end": r["e"]["affine"],
                 "first loss": r["losses"][0] if r["losses"] else float("nan"),
                 "last loss": r["losses"][-1] if r["losses"] else float("nan"),
                 **{g.gate: g.value for g in r["gates"]}})
report.show(rows, ["model", "seed"])

# %% [markdown]
# One row per model and seed: the two representation errors at the descent's start and end, its
# first and last loss, and the values of the two descent gates.

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharex=True)
for (name, s, _kind), r in REP.items():
    steps = sorted(r["snaps"])
    col = "tab:blue" if name == "unet" else "tab:grey"
    for ax, key in zip(axes, ("raw", "affine")):
        vals = [errors(r["snaps"][k], targets)[key] for k in steps]
        ax.plot([max(k, 0.5) for k in steps], vals, "o-", ms=3, color=col, alpha=0.7,
                label=f"{'trained' if name == 'unet' else 'untrained'} U-Net" if s == SEEDS[0] else None)
for ax, title in zip(axes, ("e (the essay's)", "e_aff (after a per-channel affine fit)")):
    ax.set_xscale("log")
    ax.set_xlabel("descent steps (0 plotted at 0.5)")
    ax.set_title(title, fontsize=9)
axes[0].set_ylabel("representation error (median over targets)")
axes[0].legend(fontsize=9)
fig.tight_layout()
ch.figure(fig, "representation_error_along_descent")

# %% [markdown]
# ```{glue:figure} representation_error_along_descent
# :name: fig-02-representation-error
# :alt: Two line plots of the representation error against descent steps on a log axis, the essay's e on the left and e_aff on the right, trained and untrained U-Net.
#
# The representation errors along the descents, one line per model and seed: the essay's $e$
# (left) and $e_\text{aff}$, after the best per-channel gain and offset (right); step 0 is
# plotted at 0.5.
# ```

# %%
fig = figures.representation_loss({f"{'trained' if n == 'unet' else 'untrained'} U-Net, seed {s}": r["losses"]
                                   for (n, s, kind), r in REP.items() if kind == "clean"}, every=1)
fig.axes[0].legend(fontsize=9)
ch.figure(fig, "representation_loss")

# %% [markdown]
# ```{glue:figure} representation_loss
# :name: fig-02-representation-loss
# :alt: The loss of each representation descent against its step, one line per model and seed.
#
# The loss of each descent at every step, for the trained and the untrained U-Net of every seed.
# ```

# %%
s0 = SEEDS[0]
fig = figures.image_rows({"target a": targets, "start a_0": REP["unet", s0, "clean"]["a0"],
                          "a_g, untrained": REP["untrained unet", s0, "clean"]["a_g"],
                          "a_g, trained": REP["unet", s0, "clean"]["a_g"],
                          "a_g, trained, affine fit": metrics.affine_fit(REP["unet", s0, "clean"]["a_g"], targets)},
                         n=min(8, REP_TARGETS))
ch.figure(fig, "representation_trained_untrained")

# %% [markdown]
# ```{glue:figure} representation_trained_untrained
# :name: fig-02-representation-images
# :alt: Rows of held-out targets, the descent's starts, and the representations by the untrained and the trained U-Net, the last also after an affine fit.
#
# Held-out targets, the descent's grey starts and the output layer's representations $a_g$ by
# the untrained and the trained U-Net (seed {glue:text}`seed0`); the last row is the trained
# model's $a_g$ after its best per-channel gain and offset toward the target (essay Fig. 3).
# ```

# %%
m4 = ch.measurement("C4")
for s in SEEDS:
    tr, un, un_o = REP["unet", s, "clean"], REP["untrained unet", s, "clean"], REP["untrained unet", other(s), "clean"]
    m4.add(s, value=tr["e"]["affine"] / un["e"]["affine"],
           control=un_o["e"]["affine"] / un["e"]["affine"],
           gates=MODEL_GATES["unet", s] + tr["gates"] + un["gates"],
           details={"e_aff trained": tr["e"]["affine"], "e_aff untrained": un["e"]["affine"],
                    "e0_aff": tr["e0"]["affine"], "e trained": tr["e"]["raw"], "e untrained": un["e"]["raw"],
                    "e0": tr["e0"]["raw"], "raw ratio": tr["e"]["raw"] / un["e"]["raw"]})
c4 = ch.claim(m4, figure="representation_error_along_descent")
c4_raw = report.seed_median(c4, "raw ratio")
ch.glue("c4_raw", c4_raw)
for key in ("e_aff trained", "e_aff untrained", "e0_aff", "e trained", "e untrained", "e0"):
    ch.glue("c4_" + key.replace(" ", "_"), report.seed_median(c4, key))

# %% [markdown]
# **C4 {glue:text}`c4_verdict`** ({glue:text}`c4_reason`). Trained over untrained, $e_\text{aff}$ is
# {glue:text}`c4_value:.2f` (median over seeds; range {glue:text}`c4_range`); the essay's raw
# $e$ gives {glue:text}`c4_raw:.2f`. The trained model ends at $e_\text{aff}$ =
# {glue:text}`c4_e_aff_trained:.3f` and the untrained one at {glue:text}`c4_e_aff_untrained:.3f`,
# from a start at {glue:text}`c4_e0_aff:.3f`; raw $e$ ends at {glue:text}`c4_e_trained:.3f`
# and {glue:text}`c4_e_untrained:.3f` from {glue:text}`c4_e0:.3f`. Two untrained U-Nets of
# different seeds give a ratio of {glue:text}`c4_ctrl:.2f` (the control).
#
# (claim-c5)=
# ## C5: denoising from light to heavy corruption
#
# For each seed's model and $\alpha$: $r$ on the essay's corruption (mixing toward
# $\mathcal N(0.7, 0.2^2)$) and, as a second condition, on zero-mean white noise of the same RMS
# per image ("noise" in the tables), both in train mode and in eval mode; $k$ is the noise gain. The
# identity map is the control ($r = 1$ on both). The registry's test is the largest $r$ over
# $\alpha$ on each condition; the table after it gives a verdict per $\alpha$ and condition,
# by the same rule over seeds.

# %%
TABLES = {s: metrics.ratio_table(RUN[s].model, a, ALPHAS, seed=s, eval_mode=True) for s in SEEDS}
IDENT = {s: metrics.ratio_table(lambda x: x, a, ALPHAS, seed=s) for s in SEEDS}
report.show(pd.concat({s: t[["r", "r_control", "k", "k_control", "r_eval", "r_control_eval", "recon", "recon_eval"]]
                       for s, t in TABLES.items()}, names=["seed"])
            .rename(columns={"r_control": "r, noise", "k_control": "k, noise", "r_eval": "r, eval",
                             "r_control_eval": "r, noise, eval", "recon_eval": "recon, eval"}))

# %% [markdown]
# Per seed and $\alpha$: $r$ and $k$ on the essay's corruption and on zero-mean noise of the same
# RMS ("noise"), in train mode and in eval mode ("eval"), and the clean reconstruction error.

# %%
limit5 = claims.get("C5").test()
conditions = {"essay's corruption": "r", "zero-mean noise": "r_control",
              "essay's corruption, eval mode": "r_eval", "zero-mean noise, eval mode": "r_control_eval"}
gates_ok = all(g.passed for s in SEEDS for g in MODEL_GATES["unet", s])


def seed_rule(values) -> str:
    """The verdict rule of aelib.verdict for one quantity: the model gates, the identity control
    (r = 1, which never clears r < 1) and every / no seed clearing the registered limit."""
    if len(values) < claims.MIN_SEEDS:
        return verdict.INCONCLUSIVE
    if not gates_ok:
        return verdict.INCONCLUSIVE
    passed = [limit5.passes(v) for v in values]
    return verdict.HOLDS if all(passed) else verdict.FAILS if not any(passed) else verdict.INCONCLUSIVE


per_alpha = pd.DataFrame({cond: {x: f"{seed_rule([TABLES[s].loc[x, col] for s in SEEDS])} "
                                    f"({report.span(TABLES[s].loc[x, col] for s in SEEDS)})" for x in ALPHAS}
                          for cond, col in conditions.items()}).rename_axis("alpha")
report.show(per_alpha)

# %%
g = ch.rng("example corruptions", SEEDS[0])
rows = {"clean a": a}
with torch.no_grad():
    for alpha in (0.7, 0.5, 0.3):
        a_hat = corruption.corrupt(a, alpha, generator=g)
        rows[f"a_hat, alpha={alpha}"] = a_hat
        rows[f"O(a_hat), alpha={alpha}"] = RUN[SEEDS[0]].model(a_hat)
    a_hat = corruption.corrupt(a, 0.5, generator=g)
    z = corruption.matched_gaussian(a, a_hat, generator=g)
    rows["zero-mean noise, same RMS as alpha=0.5"] = z.clamp(0, 1)
    rows["O(zero-mean noise)"] = RUN[SEEDS[0]].model(z)
fig = figures.image_rows(rows, n=10)
ch.figure(fig, "unet_denoising")

# %% [markdown]
# ```{glue:figure} unet_denoising
# :name: fig-02-unet-denoising
# :alt: Ten held-out crops, then for three corruption strengths the corrupted crops and the no-skip U-Net's outputs, then zero-mean noise and its outputs.
#
# Held-out images, their corrupted versions and the no-skip U-Net's outputs (seed
# {glue:text}`seed0`), with the essay's corruption at three levels and, in the last two rows,
# zero-mean noise of the same size as at $\alpha = 0.5$, shown clipped to $[0, 1]$ (essay Fig. 4,
# essay Fig. 5).
# ```

# %%
ch.glue("seed0", SEEDS[0])
m5 = ch.measurement("C5")
for s in SEEDS:
    t, ti = TABLES[s], IDENT[s]
    m5.add(s, value={"value": float(t["r"].max()), "r_noise": float(t["r_control"].max())},
           control={"value": float(ti["r"].max()), "r_noise": float(ti["r_control"].max())},
           gates=MODEL_GATES["unet", s],
           details={**{f"r({x})": float(t.loc[x, "r"]) for x in ALPHAS},
                    **{f"r_control({x})": float(t.loc[x, "r_control"]) for x in ALPHAS},
                    **{f"r_eval({x})": float(t.loc[x, "r_eval"]) for x in ALPHAS},
                    **{f"r_control_eval({x})": float(t.loc[x, "r_control_eval"]) for x in ALPHAS},
                    "k(0.5)": float(t.loc[0.5, "k"]), "k_control(0.5)": float(t.loc[0.5, "k_control"]),
                    "recon": float(t["recon"].iloc[0]), "recon_eval": float(t["recon_eval"].iloc[0])})
c5 = ch.claim(m5, figure="unet_denoising", details={"per_alpha": per_alpha.reset_index().to_dict("records")})


ch.glue("c5_noise", report.seed_median(c5, "r_noise", "quantities"))
for key in ("r(0.5)", "r_control(0.5)", "r_eval(0.5)", "r_control_eval(0.5)", "r(0.9)", "r(0.3)",
            "r_control(0.3)", "k(0.5)", "k_control(0.5)", "recon"):
    ch.glue("c5_" + key.replace("(", "_").replace(")", "").replace(".", ""), report.seed_median(c5, key))

# %% [markdown]
# **C5 {glue:text}`c5_verdict`** ({glue:text}`c5_reason`). The largest $r$ over $\alpha$ is
# {glue:text}`c5_value:.2f` on
# the essay's corruption (range over seeds {glue:text}`c5_range`) and {glue:text}`c5_noise:.2f`
# on zero-mean noise of the same RMS. At $\alpha = 0.5$, $r$ is {glue:text}`c5_r_05:.2f` on the
# essay's corruption and {glue:text}`c5_r_control_05:.2f` on zero-mean noise in train mode,
# {glue:text}`c5_r_eval_05:.2f` and {glue:text}`c5_r_control_eval_05:.2f` in eval mode; the
# noise gain is {glue:text}`c5_k_05:.2f` and {glue:text}`c5_k_control_05:.2f`. The clean
# reconstruction error is {glue:text}`c5_recon:.2f` of the image norm, so at light corruption
# ($r(0.9)$ = {glue:text}`c5_r_09:.2f`) the model's own error decides $r$.
#
# (claim-c6)=
# ## C6: pure noise in, something image-like out
#
# With $\alpha = 0$ the input is pure $\mathcal N(0.7, 0.2^2)$ noise, drawn per seed. The distance
# between image sets is the sliced Wasserstein distance between 7×7 patches of their Laplacian
# pyramids (Karras et al., 2018), averaged over levels; it needs no pretrained network and is not
# comparable with published FIDs. The floor is the distance between two halves of the held-out
# set. The control is the seed's untrained U-Net fed the same noise.

# %%
m6 = ch.measurement("C6")
sw_rows, OUT_NOISE = {}, {}
half = len(held_all) // 2
sw_floor = metrics.sw_distance(held_all[:half], held_all[half:], ch.sw_config())
for s in SEEDS:
    sw_cfg = ch.sw_config(seed=s)
    noise = corruption.noise_like(held_all, generator=ch.rng("pure noise", s))
    with torch.no_grad():
        out = RUN[s].model(noise)
        out_u = UNT[s](noise)
    OUT_NOISE[s] = (noise, out, out_u)
    sw_noise = metrics.sw_distance(noise, held_all, sw_cfg)
    sw_out = metrics.sw_distance(out, held_all, sw_cfg)
    sw_u = metrics.sw_distance(out_u, held_all, sw_cfg)
    sw_rows[s] = {"pure noise": sw_noise, "O(noise), trained": sw_out, "O(noise), untrained": sw_u,
                  "held-out half vs half": sw_floor}
    m6.add(s, value=sw_out / sw_noise, control=sw_u / sw_noise, gates=MODEL_GATES["unet", s],
           details={"sw_output": sw_out, "sw_noise": sw_noise, "sw_untrained": sw_u, "sw_floor": sw_floor})
c6 = ch.claim(m6, figure="pure_noise")
ch.glue("c6_floor", sw_floor / float(np.median([r["pure noise"] for r in sw_rows.values()])))
report.show(report.per_seed(sw_rows))

# %%
noise, out, out_u = OUT_NOISE[SEEDS[0]]
fig = figures.image_rows({"noise n": noise, "O(n), trained": out, "O(n), untrained": out_u, "held-out a": held_all},
                         n=10)
ch.figure(fig, "pure_noise")

# %% [markdown]
# ```{glue:figure} pure_noise
# :name: fig-02-pure-noise
# :alt: Rows of pure-noise images, the trained and the untrained U-Net's outputs for them, and held-out photographs.
#
# Pure noise, the trained and the untrained U-Net's outputs for it (seed {glue:text}`seed0`),
# and held-out photographs for comparison (essay Fig. 7).
# ```
#
# **C6 {glue:text}`c6_verdict`** ({glue:text}`c6_reason`). The trained U-Net's outputs on pure
# noise are
# {glue:text}`c6_value:.2f` times as far from the held-out images as the noise is (median over
# seeds; range {glue:text}`c6_range`); the untrained U-Net's {glue:text}`c6_ctrl:.2f` times.
# Two halves of the held-out set are {glue:text}`c6_floor:.2f` times as far apart as noise is from
# them.
#
# (claim-c28)=
# ## C28: heavy corruption after longer training
#
# The essay shows its U-Net again after more training, now bringing back photographs from a
# large addition of noise (essay Fig. 6), and then fed pure noise (essay Fig. 7). Here the no-skip
# U-Net of each seed is compared at its two training lengths, {glue:text}`steps_short` and
# {glue:text}`steps_long` optimiser steps, on the same inputs. The first condition reads the
# denoise ratio $r$ at $\alpha$ = {glue:text}`c28_alpha` (that fraction of the image is left): on
# every held-out image (the first {glue:text}`n_eval` are C5's), fed {glue:text}`n_eval` at a time
# as for the held-out error, with the essay's corruption drawn from the seed's stream, the longer
# run's median $r$ over the shorter run's. The second reads the pure noise of C6: the sliced
# Wasserstein distance of the longer run's outputs from the held-out set, over that of the
# shorter run's outputs. Both ratios must fall below {glue:text}`c28_limit`. The control puts the
# next seed's model, trained as long as the shorter run, in place of the longer run, on this
# seed's inputs and noise: how much two equally trained models differ, with no extra training.
# The curve over $\alpha$ runs from 0.9 down to 0.1. The shorter run must pass both gates; the
# longer run only *model works*: the claim is that training on still changes something, so a gate
# that failed whenever the longer run's error was still falling would fail exactly when the claim
# could hold (a change made after the first cpu run; see the changes of measure on the first page).

# %%
C28_ALPHA = 0.3                 # the corruption of C28's first condition, r(0.3)
C28_ALPHAS = ALPHAS + (0.1,)    # C5's levels and a heavier one, for the curve
ch.glue("c28_alpha", C28_ALPHA)
ch.glue("n_eval", P.data.n_eval)
m28 = ch.measurement("C28")
R28, OUT28 = {}, {}
for s in SEEDS:
    # the same inputs for every model: this seed's corruption draws and this seed's pure noise (C6)
    nets = {"short": RUN[s].model, "long": LONG[s].model, "next seed": RUN[other(s)].model}
    r = {k: pd.Series(metrics.denoise_ratios(net, held_all, C28_ALPHAS, seed=s, batch=P.data.n_eval))
         for k, net in nets.items()}
    noise, out_short, _ = OUT_NOISE[s]
    sw_cfg = ch.sw_config(seed=s)
    with torch.no_grad(), batch_statistics(LONG[s].model), batch_statistics(RUN[other(s)].model):
        OUT28[s] = {"short": out_short, "long": LONG[s].model(noise), "next seed": RUN[other(s)].model(noise)}
    sw = {"short": sw_rows[s]["O(noise), trained"]} | {k: metrics.sw_distance(OUT28[s][k], held_all, sw_cfg)
                                                        for k in ("long", "next seed")}
    R28[s] = r
    m28.add(s, value={"value": r["long"][C28_ALPHA] / r["short"][C28_ALPHA], "sw": sw["long"] / sw["short"]},
            control={"value": r["next seed"][C28_ALPHA] / r["short"][C28_ALPHA], "sw": sw["next seed"] / sw["short"]},
            gates=MODEL_GATES["unet", s]  # the longer run: 'model works' only
            + [g for g in MODEL_GATES["unet_long", s] if g.gate == "model works"],
            details={**{f"r_{k}({x})": float(r[k][x]) for k in ("short", "long") for x in (C28_ALPHA, 0.1)},
                     f"r_next({C28_ALPHA})": float(r["next seed"][C28_ALPHA]),
                     "r ratio(0.1)": float(r["long"][0.1] / r["short"][0.1]),
                     "sw_short": sw["short"], "sw_long": sw["long"], "sw_next": sw["next seed"],
                     "sw_noise": sw_rows[s]["pure noise"],
                     "heldout_short": RUN[s].curve[-1][1], "heldout_long": LONG[s].curve[-1][1],
                     "steps_short": RUN[s].steps, "steps_long": LONG[s].steps})
c28 = ch.claim(m28, figure="longer_training")
c28_sw = ch.glue_median("c28_sw", report.seed_values(c28, "sw", "quantities"))
c28_ctrl_sw = c28["control"]["quantities"]["sw"]
ch.glue("c28_ctrl_sw", c28_ctrl_sw)
ch.glue("c28_sw_limit", claims.get("C28").test("sw").limit)
# the r values quoted beside the median ratio come from one seed, the one whose ratio is the median
mid28 = report.median_seed(c28)
ch.glue("c28_mid_seed", str(mid28["seed"]))
for key in (f"r_short({C28_ALPHA})", f"r_long({C28_ALPHA})", "r ratio(0.1)", "r_short(0.1)", "r_long(0.1)"):
    ch.glue("c28_" + key.replace(" ", "_").replace("(", "_").replace(")", "").replace(".", ""),
            mid28["details"][key])
for key in ("sw_short", "sw_long", "sw_noise", "heldout_short", "heldout_long"):
    ch.glue("c28_" + key, report.seed_median(c28, key))
report.show(report.per_seed({d["seed"]: {
    f"r({C28_ALPHA}), {STEPS_SHORT:,} steps": d["details"][f"r_short({C28_ALPHA})"],
    f"r({C28_ALPHA}), {STEPS_LONG:,} steps": d["details"][f"r_long({C28_ALPHA})"],
    f"r({C28_ALPHA}), next seed": d["details"][f"r_next({C28_ALPHA})"],
    "r(0.1), long / short": d["details"]["r ratio(0.1)"],
    f"SW from noise, {STEPS_SHORT:,} steps": d["details"]["sw_short"],
    f"SW from noise, {STEPS_LONG:,} steps": d["details"]["sw_long"],
    "SW from noise, next seed": d["details"]["sw_next"],
    f"held-out error, {STEPS_SHORT:,} steps": d["details"]["heldout_short"],
    f"held-out error, {STEPS_LONG:,} steps": d["details"]["heldout_long"]} for d in c28["seeds"]}))

# %% [markdown]
# Per seed: $r$({glue:text}`c28_alpha`) of the shorter run, of the longer run and of the next
# seed's model at the shorter length (the control), all on this seed's corrupted images; the
# longer over the shorter run's $r(0.1)$; the sliced Wasserstein distance from the held-out set
# of each model's outputs on the same pure noise; and each run's held-out clean reconstruction
# error at the end of its training.

# %%
s0 = SEEDS[0]
a_hat = metrics.ratio_inputs(held_all, C28_ALPHA, seed=s0)[:P.data.n_eval]   # the first batch r(0.3) was measured on
with torch.no_grad(), batch_statistics(RUN[s0].model), batch_statistics(LONG[s0].model):
    rows = {"clean a": held_all, f"a_hat (alpha={C28_ALPHA})": a_hat,
            f"O(a_hat), {STEPS_SHORT:,} steps": RUN[s0].model(a_hat),
            f"O(a_hat), {STEPS_LONG:,} steps": LONG[s0].model(a_hat)}
noise = OUT_NOISE[s0][0]
rows |= {"pure noise n": noise, f"O(n), {STEPS_SHORT:,} steps": OUT28[s0]["short"],
         f"O(n), {STEPS_LONG:,} steps": OUT28[s0]["long"]}
fig = figures.image_rows(rows, n=8)
ch.figure(fig, "longer_training")

# %% [markdown]
# ```{glue:figure} longer_training
# :name: fig-02-longer-training
# :alt: Rows of held-out images, their heavily corrupted versions, the no-skip U-Net's outputs for them after the shorter and the longer training, then pure noise and both runs' outputs for it.
#
# Eight held-out images, their corrupted versions at $\alpha$ = {glue:text}`c28_alpha` and the
# no-skip U-Net's outputs after {glue:text}`steps_short` and after {glue:text}`steps_long`
# optimiser steps (seed {glue:text}`seed0`, the inputs C28 measures); below, pure noise and both
# runs' outputs for it. Compare the two output rows of each block: longer training should bring
# the outputs nearer the clean row, and make those from noise look more like photographs
# (essay Fig. 6; the noise rows are the longer run's side of essay Fig. 7).
# ```

# %%
limit28 = claims.get("C28").test().limit
fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
for i, s in enumerate(SEEDS):
    c = plt.rcParams["axes.prop_cycle"].by_key()["color"][i % 10]
    r = R28[s]
    axes[0].plot(C28_ALPHAS, r["short"].values, "o-", color=c, label=f"{STEPS_SHORT:,} steps, seed {s}")
    axes[0].plot(C28_ALPHAS, r["long"].values, "s--", color=c, label=f"{STEPS_LONG:,} steps, seed {s}")
    axes[1].plot(C28_ALPHAS, (r["long"] / r["short"]).values, "s--", color=c, label=f"longer run, seed {s}")
    axes[1].plot(C28_ALPHAS, (r["next seed"] / r["short"]).values, "x:", color=c, alpha=0.6,
                 label=f"next seed (control), seed {s}")
axes[0].axhline(1, color="k", lw=0.8, ls=":")
axes[1].axhline(limit28, color="k", lw=1, label=f"threshold at alpha = {C28_ALPHA}")
axes[1].axvline(C28_ALPHA, color="grey", lw=0.8, ls=":")
for ax in axes:
    ax.set_xlabel("alpha (share of the image left in the input)")
    ax.invert_xaxis()
    ax.legend(fontsize=9)
axes[0].set_ylabel("r = |O(a_hat) - a| / |a_hat - a| (median)")
axes[1].set_ylabel("r of the model / r after the shorter run")
fig.tight_layout()
ch.figure(fig, "longer_training_r")

# %% [markdown]
# ```{glue:figure} longer_training_r
# :name: fig-02-longer-training-r
# :alt: Two line plots against alpha: the denoise ratio r after the shorter and the longer training per seed, and the ratio of each model's r to the shorter run's, with the threshold drawn.
#
# Left: the denoise ratio $r$ against $\alpha$ (heavier corruption to the right) after
# {glue:text}`steps_short` (solid) and {glue:text}`steps_long` (dashed) optimiser steps, one
# colour per seed; below the dotted line the output is nearer the clean image than the input.
# Right: each model's $r$ over the shorter run's, for the longer run (dashed) and for the next
# seed's model at the shorter length (the control, dotted); the solid line is the claim's
# threshold, which it reads at $\alpha$ = {glue:text}`c28_alpha` (vertical line).
# ```
#
# **C28 {glue:text}`c28_verdict`** ({glue:text}`c28_reason`). At $\alpha$ =
# {glue:text}`c28_alpha` the longer run's $r$ over the shorter run's is {glue:text}`c28_value:.2f`
# (median over seeds, range {glue:text}`c28_range`); on seed {glue:text}`c28_mid_seed`, whose ratio
# is the median, $r$ goes from {glue:text}`c28_r_short_03:.2f` to {glue:text}`c28_r_long_03:.2f`,
# and at $\alpha = 0.1$ from {glue:text}`c28_r_short_01:.2f` to {glue:text}`c28_r_long_01:.2f`
# (ratio {glue:text}`c28_r_ratio_01:.2f`). The next seed's model at the shorter length gives a
# ratio of {glue:text}`c28_ctrl:.2f` (median). From pure noise the longer run's outputs are
# {glue:text}`c28_sw:.2f` times as far from the held-out images as the shorter run's (the
# control: {glue:text}`c28_ctrl_sw:.2f`; threshold {glue:text}`c28_sw_limit`). The longer
# training took the held-out clean reconstruction error from {glue:text}`c28_heldout_short:.3f`
# to {glue:text}`c28_heldout_long:.3f`.
#
# (lengths-02)=
# ## C5 and C6 along the training-length axis
#
# C28 compares two lengths of the same runs. The same question can be put to C5 and C6 at every
# length the cache holds: the stopping rule's quarter, half and full budget and the longer run, on
# the same corrupted images and the same pure noise as their verdicts. Open circles mark a
# committed reference on the same data and model sizes with four times the training (the `long`
# scale), judged there in full. Along the axis only the threshold test is applied; the gates and
# controls stay those of the verdicts.

# %%
REFS = reference.load_all()
u_cost = compute.step_cost(RUN[SEEDS[0]].model, tuple(a.shape[1:]), P.train.batch_size).train_step
u_steps = lengths.steps_along(STEPS_SHORT, P.walk.train_mults)


def c5_at(s, k):
    """C5's two quantities for seed s's no-skip U-Net after k steps, on the verdict's inputs."""
    t = metrics.ratio_table(lengths.model_at(ch, "unet", s, k), a, ALPHAS, seed=s)
    return {"value": float(t["r"].max()), "r_noise": float(t["r_control"].max())}


def c6_at(s, k):
    """C6's SW ratio for seed s's no-skip U-Net after k steps, on the verdict's pure noise."""
    noise = OUT_NOISE[s][0]
    with torch.no_grad():
        out = lengths.model_at(ch, "unet", s, k)(noise)
    return metrics.sw_distance(out, held_all, ch.sw_config(seed=s)) / sw_rows[s]["pure noise"]


PANELS = {cid: lengths.Panel(lengths.measure(cid, SEEDS, u_steps, at), u_cost, STEPS_SHORT, "train.steps")
          for cid, at in (("C5", c5_at), ("C6", c6_at))}
fig, said = lengths.figure(PANELS, P, REFS)
for cid, text in said.items():
    ch.glue(f"{cid.lower()}_axis", text)
ch.figure(fig, "training_length_axis")

# %% [markdown]
# ```{glue:figure} training_length_axis
# :name: fig-02-length-axis
# :alt: Two panels, C5's largest denoise ratio and C6's SW ratio against training FLOPs on a log axis, one line per seed, the median, the threshold dashed and the long reference as open circles.
#
# C5 and C6 against training compute: the no-skip U-Net at a quarter, half, all and twice its
# budget, one thin line per seed, the median thick, the threshold dashed, this build's budget
# dotted, and a committed reference's seeds as open circles.
# ```
#
# - {glue:text}`c5_axis`
# - {glue:text}`c6_axis`
#
# (claim-c7)=
# ## C7: is the representation of a corrupted input cleaner than the input?
#
# The target is now a corrupted image $\hat a$ ($\alpha$ = {glue:text}`c7_alpha`, noise drawn per
# seed); its output-layer representation $a_g(\hat a)$ is compared with the clean image $a$:
# $\lVert a_g(\hat a) - a\rVert / \lVert \hat a - a\rVert$, with both $a_g(\hat a)$ and $\hat a$
# given their best per-channel gain and offset toward $a$ first (the essay's raw ratio is reported
# beside it). The control is the same descent through the seed's untrained U-Net: a descent whose
# start or loss, not the trained model, made the ratio small would make the control's small too.

# %%
ch.glue("c7_alpha", C7_ALPHA)
m7 = ch.measurement("C7")
C7 = {}
for s in SEEDS:
    a_hat = corruption.corrupt(targets, C7_ALPHA, generator=ch.rng("representation targets corrupted", s))
    res = {}
    for name, mdl in (("unet", RUN[s].model), ("untrained unet", UNT[s])):
        cfg = ch.representation_config(seed=ch.seed_of("representation start", s, 1))
        d = evaluation.descent(f"{name} descent of corrupted inputs (seed {s})", mdl, a_hat, cfg, s, at=())
        a_g = d["a_g"]                                 # e: how near a_g came to its own target a_hat
        res[name] = {"a_g": a_g, "ratio": float(nearer_than_input(a_g, a_hat, targets).median()),
                     "raw": float(nearer_than_input(a_g, a_hat, targets, affine=False).median()),
                     "gates": d["gates"], "e_hat": d["e"]["affine"], "e0_hat": d["e0"]["affine"]}
    C7[s] = (a_hat, res)
    tr, un = res["unet"], res["untrained unet"]
    m7.add(s, value=tr["ratio"], control=un["ratio"], gates=MODEL_GATES["unet", s] + tr["gates"],
           details={"raw ratio": tr["raw"], "raw ratio untrained": un["raw"],
                    "e_aff(a_g, a_hat)": tr["e_hat"], "e0_aff(a_hat)": tr["e0_hat"]})
c7 = ch.claim(m7, figure="representation_of_noisy_input")
ch.glue("c7_raw", report.seed_median(c7, "raw ratio"))
a_hat, res = C7[SEEDS[0]]
fig = figures.image_rows({"clean a": targets, f"a_hat (alpha={C7_ALPHA})": a_hat,
                          "a_g(a_hat), trained": res["unet"]["a_g"],
                          "a_g(a_hat), trained, affine fit": metrics.affine_fit(res["unet"]["a_g"], targets),
                          "a_g(a_hat), untrained": res["untrained unet"]["a_g"]}, n=min(8, REP_TARGETS))
ch.figure(fig, "representation_of_noisy_input")

# %% [markdown]
# ```{glue:figure} representation_of_noisy_input
# :name: fig-02-representation-noisy
# :alt: Rows of clean targets, their corrupted versions, and the representations of the corrupted versions by the trained U-Net, with and without an affine fit, and by the untrained U-Net.
#
# Clean targets, their corrupted versions ($\alpha$ = {glue:text}`c7_alpha`) and the output
# layer's representations of the corrupted versions (seed {glue:text}`seed0`): by the trained
# U-Net, the same after its best per-channel gain and offset toward the clean image, and by the
# untrained U-Net (essay Fig. 8).
# ```
#
# **C7 {glue:text}`c7_verdict`** ({glue:text}`c7_reason`). After the affine fit, the trained
# U-Net's representation of a
# corrupted input is {glue:text}`c7_value:.2f` times as far from the clean image as the input
# (median over seeds; range {glue:text}`c7_range`); the untrained U-Net's,
# {glue:text}`c7_ctrl:.2f` times. Without the fit (the essay's ratio) the trained model gives
# {glue:text}`c7_raw:.2f`.
#
# (claim-c8)=
# ## C8: autoencoding without accurate representation
#
# The essay's "restrictive" U-Net inserts, between the encoder and the decoder, a strided
# convolution, three linear layers of widths 500, 100 and 500 with no nonlinearity, and a
# transposed convolution. Everything the decoder receives passes through 100 numbers. Per seed we
# compare its $e_\text{aff}$ with the plain U-Net's (same targets), its clean reconstruction error
# with the plain U-Net's, and its $r(0.5)$. The control is the plain U-Net of another seed
# against this seed's.

# %%
m8 = ch.measurement("C8")
for s in SEEDS:
    represent_record("unet_hidden", HID[s].model, s, targets, 0)
C8 = {}
for s in SEEDS:
    t_h = metrics.ratio_table(HID[s].model, a, (C7_ALPHA,), seed=s, eval_mode=True)
    C8[s] = t_h
for s in SEEDS:
    hid, pl, pl_o = REP["unet_hidden", s, "clean"], REP["unet", s, "clean"], REP["unet", other(s), "clean"]
    t_h, t_p, t_o = C8[s], TABLES[s], TABLES[other(s)]
    m8.add(s, value={"value": hid["e"]["affine"] / pl["e"]["affine"],
                     "recon_ratio": float(t_h["recon"].iloc[0]) / float(t_p["recon"].iloc[0]),
                     "r": float(t_h.loc[C7_ALPHA, "r"])},
           control={"value": pl_o["e"]["affine"] / pl["e"]["affine"],
                    "recon_ratio": float(t_o["recon"].iloc[0]) / float(t_p["recon"].iloc[0]),
                    "r": float(t_o.loc[C7_ALPHA, "r"])},
           gates=MODEL_GATES["unet_hidden", s] + MODEL_GATES["unet", s] + hid["gates"] + pl["gates"],
           details={"e_aff hidden": hid["e"]["affine"], "e_aff plain": pl["e"]["affine"],
                    "e hidden": hid["e"]["raw"], "e plain": pl["e"]["raw"],
                    "raw e ratio": hid["e"]["raw"] / pl["e"]["raw"],
                    "recon hidden": float(t_h["recon"].iloc[0]), "recon plain": float(t_p["recon"].iloc[0]),
                    "recon_eval hidden": float(t_h["recon_eval"].iloc[0]),
                    "r_control hidden": float(t_h.loc[C7_ALPHA, "r_control"]),
                    "r_eval hidden": float(t_h.loc[C7_ALPHA, "r_eval"])})
c8 = ch.claim(m8, figure="mlp_unet_representation")
ch.glue("c8_recon_ratio", report.seed_median(c8, "recon_ratio", "quantities"))
ch.glue("c8_r", report.seed_median(c8, "r", "quantities"))
ch.glue("c8_r_control", report.seed_median(c8, "r_control hidden"))
ch.glue("c8_raw", report.seed_median(c8, "raw e ratio"))
report.show(report.per_seed({s: {"e_aff hidden": d["details"]["e_aff hidden"], "e_aff plain": d["details"]["e_aff plain"],
                     "e hidden": d["details"]["e hidden"], "e plain": d["details"]["e plain"],
                     "recon hidden": d["details"]["recon hidden"], "recon plain": d["details"]["recon plain"],
                     "r(0.5) hidden": d["quantities"]["r"], "r(0.5) hidden, noise": d["details"]["r_control hidden"]}
                   for s, d in zip(SEEDS, c8["seeds"])}))

# %%
s0 = SEEDS[0]
with torch.no_grad():
    a_hat = corruption.corrupt(targets, C7_ALPHA, generator=ch.rng("representation targets corrupted", s0))
    fig = figures.image_rows({"target a": targets, "O_mlp(a)": HID[s0].model(targets),
                              "a_hat (alpha=0.5)": a_hat, "O_mlp(a_hat)": HID[s0].model(a_hat),
                              "a_g, MLP U-Net": REP["unet_hidden", s0, "clean"]["a_g"],
                              "a_g, plain U-Net": REP["unet", s0, "clean"]["a_g"]}, n=min(8, REP_TARGETS))
ch.figure(fig, "mlp_unet_representation")

# %% [markdown]
# ```{glue:figure} mlp_unet_representation
# :name: fig-02-mlp-unet
# :alt: Rows of targets, the MLP U-Net's outputs for them, corrupted targets and its outputs for those, and the representations of the targets by the MLP U-Net and the plain U-Net.
#
# The MLP U-Net's outputs for clean and corrupted ($\alpha = 0.5$) targets, and both U-Nets'
# output-layer representations of the clean targets (seed {glue:text}`seed0`): the poor
# representation of essay Fig. 9, and the MLP U-Net's denoising of essay Fig. 18.
# ```
#
# **C8 {glue:text}`c8_verdict`** ({glue:text}`c8_reason`). The MLP U-Net's $e_\text{aff}$ is
# {glue:text}`c8_value:.2f`
# times the plain U-Net's (median over seeds; range {glue:text}`c8_range`; raw $e$:
# {glue:text}`c8_raw:.2f` times); its clean reconstruction error is
# {glue:text}`c8_recon_ratio:.2f` times the plain U-Net's, and its $r(0.5)$ is
# {glue:text}`c8_r:.2f` on the essay's corruption and {glue:text}`c8_r_control:.2f` on zero-mean
# noise. Another seed's plain U-Net against this seed's gives an $e_\text{aff}$ ratio of
# {glue:text}`c8_ctrl:.2f` (the control).
#
# ## What the essay gets right, what it gets wrong, and why

# %%
says = verdict.says
times = "twice" if MULT == 2 else f"{MULT} times"

r05, rz05 = report.seed_median(c5, "r(0.5)"), report.seed_median(c5, "r_control(0.5)")
k05, kz05 = report.seed_median(c5, "k(0.5)"), report.seed_median(c5, "k_control(0.5)")
if r05 < 1 and rz05 >= 1:
    mech = (f"on zero-mean noise of the same RMS it does not (r = {rz05:.2f} at alpha = 0.5, against {r05:.2f} on the "
            f"essay's corruption): what the essay calls denoising is, on this model, mostly restoring the mean and "
            f"contrast that its corruption shifts, which train-mode batch norm does by construction")
elif r05 < 1 and rz05 < 1:
    mech = (f"it also brings zero-mean noise of the same RMS nearer the clean image (r = {rz05:.2f} at alpha = 0.5, "
            f"against {r05:.2f} on the essay's corruption), so part of it is noise removal, not only the restoring of "
            f"mean and contrast; it passes on {k05:.2f} of the essay's corruption and {kz05:.2f} of zero-mean noise")
else:
    mech = (f"at alpha = 0.5 its output is not nearer the clean image than its input (r = {r05:.2f} on the essay's "
            f"corruption, {rz05:.2f} on zero-mean noise)")
sent = [
    says(c5, f"The essay is right that the no-skip U-Net, trained only to copy, brings corrupted held-out images "
             f"nearer the clean ones at every alpha and on every seed; but {mech}.",
         f"Against the essay, the no-skip U-Net does not denoise at every alpha on any seed (largest r "
         f"{c5['median']:.2f}); {mech}.",
         f"Whether the no-skip U-Net denoises from light to heavy corruption is not settled ({c5['reason']}); {mech}."),
    f"Its clean reconstruction error ({report.seed_median(c5, 'recon'):.2f} of the image norm) decides r at alpha = 0.9, where the "
    f"corruption is smaller than that error (r(0.9) = {report.seed_median(c5, 'r(0.9)'):.2f}).",
    f"The held-out photographs are {'brighter' if brighter else 'darker'} than the training photographs, and train-mode "
    f"batch norm pulls outputs toward the training statistics: the clean reconstruction error is "
    f"{float(recon_df['train mode'].median()):.3f} in train mode and {float(recon_df['eval mode'].median()):.3f} in "
    f"eval mode.",
    says(c6, f"From pure noise the trained U-Net's outputs are {c6['median']:.2f} times as far from photographs as the "
             f"noise, the untrained U-Net's {c6['control']['value']:.2f} times: image-like in the essay's sense.",
         f"From pure noise the trained U-Net's outputs stay far from photographs ({c6['median']:.2f} times the "
         f"noise's distance), against the essay.",
         f"Whether outputs from pure noise are image-like is not settled ({c6['reason']})."),
    says(c28, f"Training {times} as long ({STEPS_SHORT:,} to {STEPS_LONG:,} steps) does what the essay's Fig. 6 "
              f"suggests: at alpha = {C28_ALPHA} r falls to {c28['median']:.2f} of its value (median over seeds; "
              f"{mid28['details'][f'r_short({C28_ALPHA})']:.2f} to {mid28['details'][f'r_long({C28_ALPHA})']:.2f} "
              f"on the seed with the median ratio), and the outputs from pure noise come to "
              f"{c28_sw:.2f} of their distance from photographs, while a second model trained as long as the first "
              f"gives {c28['control']['value']:.2f} and {c28_ctrl_sw:.2f}.",
         f"Against the essay's reading of its Fig. 6, training {times} as long ({STEPS_SHORT:,} to {STEPS_LONG:,} "
         f"steps) does not make the no-skip U-Net clearly better with heavy corruption or pure noise: r at alpha = "
         f"{C28_ALPHA} changes by a factor {c28['median']:.2f} (median over seeds; "
         f"{mid28['details'][f'r_short({C28_ALPHA})']:.2f} to {mid28['details'][f'r_long({C28_ALPHA})']:.2f} on "
         f"the seed with that ratio) and the distance of "
         f"its outputs from pure noise to photographs changes by a factor {c28_sw:.2f}, where both should fall "
         f"below {claims.get('C28').test().limit:g}.",
         f"Whether longer training makes the no-skip U-Net better with heavy corruption and pure noise is not "
         f"settled ({c28['reason']}): from {STEPS_SHORT:,} to {STEPS_LONG:,} steps r at alpha = {C28_ALPHA} "
         f"changes by a factor {c28['median']:.2f} and the distance of its outputs from pure noise to photographs "
         f"by {c28_sw:.2f} (a second model trained as long as the first: {c28['control']['value']:.2f} and "
         f"{c28_ctrl_sw:.2f})."),
    ((f"The representation claims rest on a descent that, in train mode, hardly sees a batch-wide per-channel "
      f"offset: shifting the batch by 44 % of its norm moves the output by {blind:.1%} ({seen:.1%} in eval mode), so "
      f"the essay's e says more about the descent's grey start than about the model" if blind < 0.5 * seen else
      f"Train-mode batch norm does not hide a batch-wide per-channel offset here (a shift of 44 % of the norm moves "
      f"the output by {blind:.1%}, {seen:.1%} in eval mode)")
     + f" (the trained model's e goes from {report.seed_median(c4, 'e0'):.3f} at the "
     f"start to {report.seed_median(c4, 'e trained'):.3f}, {c4_raw:.2f} times the "
     f"untrained model's). "
     + ("Even after removing that offset and a gain per channel, the trained model's representation is no nearer "
        "the image than its start: " if abs(c4["median"] - 1) < 0.1 and
        abs(report.seed_median(c4, 'e_aff trained') - report.seed_median(c4, 'e0_aff')) <
        0.1 * report.seed_median(c4, 'e0_aff') else
        "After removing that offset and a gain per channel: ")
     + f"e_aff trained / untrained is {c4['median']:.2f}, so C4 {report.verdict_verb(c4)}"
     + (f" ({c4['reason']})" if c4["reason"] else "") + "."),
    says(c7, f"The representation of a corrupted input is nearer the clean image than the input on every seed "
             f"(ratio {c7['median']:.2f} after the affine fit, {c7['control']['value']:.2f} for the untrained model).",
         f"The representation of a corrupted input is not nearer the clean image than the input (ratio "
         f"{c7['median']:.2f} after the affine fit), against the essay.",
         f"Whether the representation of a corrupted input is cleaner is not settled: ratio {c7['median']:.2f} "
         f"({c7['reason']})."),
    says(c8, f"The MLP U-Net autoencodes nearly as well and denoises (r(0.5) = "
             f"{report.seed_median(c8, 'r', 'quantities'):.2f}), yet represents its input {c8['median']:.2f} times worse: accurate autoencoding does not "
             f"need accurate representation, as the essay says.",
         f"The MLP U-Net does not show the essay's combination of good autoencoding, denoising and poor "
         f"representation (e ratio {c8['median']:.2f}, reconstruction ratio "
         f"{report.seed_median(c8, 'recon_ratio', 'quantities'):.2f}, r(0.5) "
         f"{report.seed_median(c8, 'r', 'quantities'):.2f}).",
         f"Whether the MLP U-Net autoencodes well but represents poorly is not settled ({c8['reason']})."),
]
conclusion = " ".join(sent)
ch.glue("conclusion", conclusion)

# %% [markdown]
# {glue:text}`conclusion`

# %%
ch.other_scales();

# %% [markdown]
# ## At other scales
#
# {glue:text}`other_scales` The first page sets every claim at every committed scale side by
# side ({ref}`scales`).
#
# ## References
#
# - B. L. Badger, *Autoencoders: Learning by Copying*, blbadger.github.io; and *Input
#   representation* and *Depth and generality* on the same site, for the representation method.
# - S. Ioffe, C. Szegedy, *Batch Normalization: Accelerating Deep Network Training by Reducing
#   Internal Covariate Shift*, ICML 2015 (train-mode statistics remove a batch-wide offset).
# - T. Karras, T. Aila, S. Laine, J. Lehtinen, *Progressive Growing of GANs for Improved
#   Quality, Stability, and Variation*, ICLR 2018 (sliced Wasserstein on Laplacian pyramids).
# - R. Flamary et al., *POT: Python Optimal Transport*, JMLR 2021.
