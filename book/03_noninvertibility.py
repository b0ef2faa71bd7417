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
# (noninvertibility)=
# # Why a non-invertible layer leaves Gaussian-looking noise
#
# Chapter {ref}`denoising` showed that an untrained network's input representation looks like
# its target buried in noise. The essay explains the noise in two steps. First, a layer that
# maps $n$ numbers to $m < n$ numbers cannot be inverted: many inputs give the same output, so
# the gradient descent that builds a representation stops at *one* of them, which one depending
# on where it started. Second, it argues with the central limit theorem that what is left over
# is close to Gaussian when the layer's weights are all alike, as they are at initialisation,
# and that training, which makes the weights unlike each other, makes the leftover noise less
# Gaussian.
#
# This chapter puts both steps to an empirical test on a small fully connected autoencoder:
#
# - **C9** at initialisation the representation noise is close to Gaussian;
# - **C10** Lyapunov's condition with $\delta = 1$ holds: its ratio falls toward 0 as the number
#   of summed terms grows;
# - **C11** after training the representation noise is measurably less Gaussian.
#
# ## The argument, restated
#
# **Free directions.** Let one layer compute $z = W a + b$ with $W \in \mathbb R^{m \times n}$
# and $m < n$. Its null space $N = \{v : W v = 0\}$ has dimension at least $n - m$, and every
# $a + v$ with $v \in N$ gives the same $z$. The representation descends on the loss
# $\ell(a) = s \sum_j |\hat z_j - z_j(a)|$, whose gradient
# $\nabla_a \ell = W^\top \big(\!-s\,\operatorname{sign}(\hat z - z)\big)$ always lies in the
# row space of $W$. Writing $P_N$ for the orthogonal projection onto $N$, the descent therefore
# never changes $P_N a$:
#
# $$P_N\, a_g = P_N\, a_0 .$$
#
# This is exact for *any* network whose first operation is $W$, however deep: the gradient
# with respect to the input always passes through $W^\top$. Deeper narrowings add more free
# directions, locally: the null space of the Jacobian of the represented map plays the role of
# $N$. If $a_0 = 0.7 + \varepsilon$ with $\varepsilon \sim \mathcal N(0, 0.05^2 I)$ (the essay's
# start) and the descent converges, then across many starts the representation varies as
# $a_g - \mathbb E[a_g] \approx P_N \varepsilon$, with $P_N$ now the projection onto all the
# free directions.
#
# **The central-limit step.** The essay looks at one unit $j$ of the layer and its
# pre-activation, a sum over the inputs,
#
# $$z_j = \sum_{i=1}^{n} X_i, \qquad X_i = W_{ji}\, A_i ,$$
#
# where $A_i$ is the value of input $i$ in a representation, random because the start is. If
# the $X_i$ are independent with means $\mu_i$ and finite variances $\sigma_i^2$, and
# $s_n^2 = \sum_{i \le n} \sigma_i^2$, Lyapunov's theorem says that
# $(\sum_{i \le n} X_i - \sum_{i \le n} \mu_i)/s_n$ tends to $\mathcal N(0, 1)$ whenever, for some
# $\delta > 0$,
#
# $$L_n = \frac{1}{s_n^{2+\delta}} \sum_{i=1}^{n} \mathbb E\,|X_i - \mu_i|^{2+\delta} \;\longrightarrow\; 0 .$$
#
# With $\delta = 1$ and terms of comparable size, say $\mathbb E|X_i - \mu_i|^3 \le M$ and
# $\sigma_i^2 \ge v > 0$ for every $i$, the bound
# $L_n \le n M / (n v)^{3/2} = (M / v^{3/2})\, n^{-1/2}$ shows that $L_n$ falls like
# $n^{-1/2}$: a slope of $-1/2$ on log-log axes. The weights need not be identical for this, only
# of comparable size, which PyTorch's default initialisation
# ($W_{ji} \sim \mathcal U(-1/\sqrt n, 1/\sqrt n)$) guarantees. If training concentrates a unit's
# weight on a few inputs, those few terms dominate $s_n$ and $L_n$ stops falling.
#
# **What the theorem covers, and where our check departs from it.**
#
# - *It is about sums.* The theorem makes the pre-activation $z_j$ Gaussian, not the input
#   pixels. The noise in pixel $i$ of $a_g$ is, in the linear picture,
#   $(P_N \varepsilon)_i = \sum_k (P_N)_{ik}\, \varepsilon_k$, also a sum, but one in which the
#   pixel's own start carries the weight $(P_N)_{ii}$, close to $1 - m/n$. When $m \ll n$ that
#   single term dominates, Lyapunov's ratio of this sum does not vanish, and the pixel noise has
#   the shape of the start's noise. With the essay's Gaussian start it is Gaussian whatever the
#   weights. To tell inherited Gaussianity from Gaussianity produced by summation we add a
#   control the essay does not have: the same descent from a **uniform** start with the same
#   mean and standard deviation (excess kurtosis $-1.2$).
# - *Independence.* The $A_i$ are not independent: every representation satisfies the same
#   matching constraint, and the projection couples the inputs. We estimate $L_n$ from the
#   marginal moments of the terms, which is what the condition asks for, but independence is an
#   assumption the data do not meet exactly.
# - *Finite variance* holds: the starts have finite variance and the descent runs a finite number
#   of bounded steps.
# - *Expectations* are sample means over $K$ starts for a single target image, and the sum is
#   over at most $n$ terms, so "$n \to \infty$" is a trend over a finite range.

# %% tags=["parameters"]
PROFILE = "cpu"

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from scipy import stats

import aelib.chapter
from aelib import claims, figures, gates, metrics, models, report
from aelib import gaussianity as G
from aelib.models import ModelConfig
from aelib.representation import represent
from aelib.seeding import set_seed

ch = aelib.chapter.start("03_noninvertibility", PROFILE)
P = ch.profile
data = ch.data_at(P.fc.image_size)
ch.show_data(data)

# %% [markdown]
# ## The claims, their tests and their controls
#
# Each seed retrains the MLP, takes another held-out target and redraws every start. All normality statistics are computed on the pooled, per-pixel standardised deviations: for
# each pixel, its value in the $K$ representations minus its mean over them, divided by its
# standard deviation over them, all pixels pooled into one sample of $K \times n$ values. The
# tests, controls and gates below are read from the book's registry, where every threshold was
# fixed before the first run.

# %%
ch.claims_table()

# %% [markdown]
# Why these numbers. An excess kurtosis of 0.5 is that of a Student $t$ law with 16 degrees of
# freedom, and a skew of 0.2 a mild asymmetry; a uniform law (kurtosis $-1.2$), a Laplace law
# (3) or an exponential one (skew 2) fail clearly. The slope $-0.35$ leaves room for the
# curvature of a finite range around the expected $-1/2$, while a ratio that stalls has a slope
# near 0. For C11 a ratio of 1.5 asks for a clear change rather than a fluctuation of a small
# number, and the second condition stops a ratio of two tiny, sampling-dominated distances from
# counting: with $K \times n$ values even a perfectly Gaussian array has a KS distance of a few
# thousandths, which `aelib.gaussianity.ks_null` measures.
#
# Why these controls and gates. With the essay's Gaussian start, Gaussian-looking noise does not
# show that the layer *made* it Gaussian: the first section showed that along the directions the
# model cannot see, a representation keeps its start. C9's control is therefore the same descent
# from a uniform start; and C9, like C11, counts only if the descent moved the representation
# away from its start (*descent moved*: the representation error $e$ changed by at least the
# gate's limit) and converged. C10's $-1/2$ slope follows from the bound of the first section
# whenever the terms are comparable, so its control is a layer where they are not: the same
# representations summed with heavy-tailed (Cauchy) weights, where a few terms dominate each
# sum and the ratio must not fall. C10 is about the sums' terms, whose moments the ratio uses as
# they are, so it has no descent gate. C11's control compares the untrained MLP of another seed
# with this seed's; both MLPs are retrained per seed to the book's stopping rule.

# %% [markdown]
# ## A simplified MLP
#
# The model is a fully connected autoencoder with no normalisation layers, working on images at
# the fully connected resolution of the profile. Each encoder layer is a quarter as wide as the
# one before, the decoder mirrors the encoder, and every layer but the last is followed by a
# GELU. Its first layer already maps the image to fewer numbers than it has pixels, so it is not
# invertible. We represent the target through the **whole autoencoder** $O = D \circ E$, the
# essay's output-layer representation, as in chapter {ref}`denoising`.
#
# For every seed the trained copy is trained to copy the profile's training images with the
# book's shared trainer (Adam, MSE), along the stopping rule's schedule (a quarter, half and all
# of its step budget, held-out error recorded at each); the untrained copy is the same
# initialisation, before any step.

# %%
mlp_cfg = ModelConfig.of("mlp", image_size=P.fc.image_size, width=P.nonin.width, n_layers=P.nonin.layers)
widths = models.mlp_widths(mlp_cfg.params.width, mlp_cfg.params.n_layers)
n_in = 3 * P.fc.image_size ** 2
held = ch.eval_images(P.fc.image_size)
K = max(8, int(P.nonin.starts * G.SEED_STARTS_FRACTION))
rep_cfg = ch.representation_config(steps=P.nonin.rep_steps, lr=P.nonin.rep_lr)
mlps = {}
for s in ch.seeds:
    run = ch.train_rule("mlp", mlp_cfg, s, cap=P.nonin.steps)
    set_seed(s)  # the trainer seeds the initialisation the same way
    untrained = models.build(mlp_cfg).to(ch.device).train()
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in untrained.modules())
    mlps[s] = {"run": run, "untrained": untrained, "trained": run.model,
               "gates": [run.gate(), ch.model_works("mlp", run.model, s, size=P.fc.image_size)]}
with torch.no_grad():
    recon = pd.DataFrame({s: {name: float(((m[name](held) - held).flatten(1).norm(dim=1)
                                           / held.flatten(1).norm(dim=1)).median())
                              for name in ("untrained", "trained")} | {"steps": m["run"].steps,
                                                                        "stopped by": m["run"].reason}
                          for s, m in mlps.items()}).T
recon.index.name = "seed"
ch.glue("mlp_shape", f"{n_in:,} → {' → '.join(f'{w:,}' for w in widths)} → … → {n_in:,} numbers, "
        f"{models.n_params(mlps[ch.seeds[0]]['trained']):,} parameters")
report.show(recon.rename(columns={"untrained": "error, untrained", "trained": "error, trained",
                                  "steps": "training steps"}))

# %% [markdown]
# The MLP maps {glue:text}`mlp_shape`. The table gives, per seed, the held-out clean
# reconstruction error $\lVert O(a) - a \rVert / \lVert a \rVert$ (median over images) of the
# untrained and the trained copy, and the training steps and why training stopped.

# %%
fig, ax = plt.subplots(figsize=(6, 3.4))
for subject, r in ch.rule_runs.items():
    steps, err = zip(*r["curve"])
    ax.plot(steps, err, "o-", label=f"{subject}: {r['reason']}, last doubling {r['improvement']:.1%}")
ax.set_xscale("log")
ax.set_xlabel("optimiser steps")
ax.set_ylabel("held-out |O(a) - a| / |a| (median)")
ax.legend(fontsize=9)
fig.tight_layout()
ch.figure(fig, "training_rule")

# %% [markdown]
# ```{glue:figure} training_rule
# :name: fig-03-training-rule
# :alt: Held-out reconstruction error of the MLP against optimiser steps on a log axis, one line per seed.
#
# The MLP's held-out reconstruction error at each point of the stopping rule's schedule, one
# line per seed. The legend says why each run stopped and how much the last doubling of steps
# still improved the error; above the *trained to rule* gate's limit, the step budget, not a
# plateau, ended training, and C11, which rests on the trained MLP, is inconclusive.
# ```
#
# ## Many representations of one target
#
# For each seed one held-out image (a different one per seed) is repeated $K$ times to make a
# batch, and each row receives its own random start. The model has no batch norm, so the rows
# never see each other: the batch is just $K$ independent descents run side by side. For the
# first seed the cell checks both facts: the starts differ from row to row, and the gradient of
# one row does not change when every other row does. It also represents the last row on its
# own: in exact arithmetic the result would be the same as in the batch. In floating point a
# matrix product rounds differently for different batch sizes, and near convergence the sign in
# the $L^1$ loss turns such rounding into whole steps, so the two differ by a small amount,
# given below next to the spread between starts.
#
# The descent is the essay's (plain gradient steps on $s \sum |\hat y - O(a)|$, constant step,
# no blur, no clamping) with a larger step than its 0.1, because the untrained MLP's output
# depends only weakly on its input (the profile gives the step and why). Each descent runs from
# a Gaussian start (the essay's) and from a uniform start with the same mean and spread, on the
# untrained and on the trained MLP. The table gives, per run (medians over seeds), the fall of
# the loss, the representation error at the start $e_0$ and at the end $e$, and the two descent
# gates.

# %%
runs, starts, targets, desc = {}, {}, {}, {}
for i, s in enumerate(ch.seeds):
    target = held[i % len(held)][None]
    batch = target.expand(K, *target.shape[1:]).contiguous()
    targets[s] = target
    for kind in ("gaussian", "uniform"):
        starts[s, kind] = G.draw_starts(batch.shape, rep_cfg.init_mean, rep_cfg.init_std, kind,
                                        ch.rng(f"{kind} starts", s), ch.device)
    assert (starts[s, "gaussian"][0] - starts[s, "gaussian"][1]).abs().max() > 0, "every row must get its own start"
    for mname in ("untrained", "trained"):
        model = mlps[s][mname]
        for kind in ("gaussian", "uniform"):
            a_g, losses = represent(model, batch, rep_cfg, start=starts[s, kind], record_every=1)
            e0 = metrics.representation_error(starts[s, kind], batch)
            e = metrics.representation_error(a_g, batch)
            runs[s, mname, kind] = a_g
            desc[s, mname, kind] = {"loss fall (x)": losses[0] / max(losses[-1], 1e-30), "e0": e0, "e": e,
                                    "gates": gates.descent(f"{mname} MLP, {kind} start", e, e0, losses, s)}

# rows do not interact (first seed): changing every other row leaves row 0's gradient as it was
s0 = ch.seeds[0]
m0, b0 = mlps[s0]["untrained"], targets[s0].expand(K, *targets[s0].shape[1:]).contiguous()
y_hat = m0(b0).detach()


def input_grad(x):
    x = x.detach().clone().requires_grad_(True)
    return torch.autograd.grad(rep_cfg.loss_scale * (y_hat - m0(x)).abs().sum(), x)[0]


other = starts[s0, "gaussian"].clone()
other[1:] = starts[s0, "uniform"][1:]
grad_gap = float((input_grad(starts[s0, "gaussian"])[0] - input_grad(other)[0]).abs().max()
                 / input_grad(starts[s0, "gaussian"])[0].abs().max())
assert grad_gap < 1e-4, grad_gap
alone, _ = represent(m0, targets[s0], rep_cfg, start=starts[s0, "gaussian"][K - 1:])
row_gap = float((alone - runs[s0, "untrained", "gaussian"][K - 1:]).abs().max())
spread = float(G.deviations(runs[s0, "untrained", "gaussian"]).std())
ch.glue("target_shape", "×".join(map(str, targets[s0].shape[1:])))
ch.glue("grad_gap", f"{grad_gap:.1e}")
ch.glue("row_gap", f"{row_gap:.1e}")
ch.glue("row_spread", f"{spread:.1e}")
desc_table = pd.DataFrame({(s, m, k): {"loss fall (x)": d["loss fall (x)"], "e0": d["e0"], "e": d["e"]}
                           | {g.gate: g.value for g in d["gates"]} for (s, m, k), d in desc.items()}).T
desc_table.index.names = ["seed", "model", "start"]
report.show(desc_table.groupby(level=["model", "start"]).median()
            .rename(columns={"loss fall (x)": "loss first / last", "e0": "e at start", "e": "e at end"}))

# %% [markdown]
# Each seed represents one {glue:text}`target_shape` target from {glue:text}`K` starts. Changing
# every row but the first changes the first row's gradient by a relative
# {glue:text}`grad_gap`; the last row represented alone differs from the same row in the batch,
# after the whole descent, by at most {glue:text}`row_gap`, against a spread of
# {glue:text}`row_spread` between starts.

# %%
show = 8
rows = {"target a": targets[s0].expand(show, *targets[s0].shape[1:])}
for m in ("untrained", "trained"):
    a_g = runs[s0, m, "gaussian"]
    dev = a_g - a_g.mean(0, keepdim=True)
    rows[f"a_g, {m}"] = a_g[:show]
    rows[f"a_g - mean, {m}"] = 0.5 + dev[:show] / (6 * dev.std())
fig = figures.image_rows(rows, n=show, scale=1.3)
ch.figure(fig, "many_starts")

# %% [markdown]
# ```{glue:figure} many_starts
# :name: fig-03-many-starts
# :alt: Rows of the repeated target, its representations by the untrained and the trained MLP from different starts, and each representation's deviation from their mean.
#
# Each column is one start (first seed, Gaussian starts): the target, then for the untrained and
# the trained MLP the representations $a_g$ and their deviations from the mean over starts.
# The rows marked "$a_g -$ mean" show what varies from start to start (scaled so that
# $\pm 3$ standard deviations fill the grey range): the noise whose distribution the rest of the
# chapter measures.
# ```

# %% [markdown]
# (claim-c9)=
# ## C9: the noise at initialisation
#
# The deviations of the untrained model's representations from their per-pixel mean, pooled
# over pixels after standardising each pixel, against the standard normal law. The table gives
# the same statistics for the trained model (C11 below) and for the uniform-start control, and
# for the sums the central limit theorem is actually about: the first layer's pre-activations
# $z_j = \sum_i W_{ji} a_{g,i}$ over the $K$ representations, standardised per unit and pooled.
# The last rows are the share of each pixel's spread explained by its own starting value
# (`aelib.gaussianity.own_start_share`) and the raw standard deviation of the deviations. All are
# medians over seeds.

# %%
table, pooled = {}, {}
for (s, m, kind), a_g in runs.items():
    z = G.standardized_deviations(a_g)
    pooled[s, m, kind] = z
    with torch.no_grad():
        pre = a_g.flatten(1) @ mlps[s][m].linears()[0].weight.T
    pix, sums = G.normality(z, seed=s), G.normality(G.standardized_deviations(pre), seed=s)
    table[s, m, kind] = {"skew": pix["skew"], "excess kurtosis": pix["excess_kurtosis"], "KS": pix["ks"],
                         "Shapiro W": pix["shapiro_w"], "sums: skew": sums["skew"],
                         "sums: excess kurtosis": sums["excess_kurtosis"], "sums: KS": sums["ks"],
                         "own-start share": G.own_start_share(a_g, starts[s, kind]),
                         "deviation std": float(G.deviations(a_g).std())}
ks_floor = {s: G.ks_null(K, n_in, seed=s) for s in ch.seeds}
stats_table = pd.DataFrame(table).T
stats_table.index.names = ["seed", "model", "start"]
stat = stats_table.groupby(level=["model", "start"]).median()
ch.glue("n_pooled", f"{len(pooled[s0, 'untrained', 'gaussian']):,}")
report.show(stat.T.set_axis([f"{m}, {k} start" for m, k in stat.index], axis=1).rename_axis("statistic"))

# %% [markdown]
# One column per model and start: medians over seeds of the statistics of each seed's pooled sample of {glue:text}`n_pooled`
# standardised deviations. A truly Gaussian array of the same shape has a KS distance of
# {glue:text}`ks_floor:.4f` (the floor); a uniform law has excess kurtosis $-1.2$.

# %%
STYLES = {("untrained", "gaussian"): dict(color="tab:blue"), ("trained", "gaussian"): dict(color="tab:red"),
          ("untrained", "uniform"): dict(color="tab:green", ls="--"),
          ("trained", "uniform"): dict(color="tab:orange", ls="--")}


def hist_qq(keys, title):
    """Histogram and Q-Q plot of the deviations pooled over seeds, per (model, start)."""
    label = {key: f"{key[0]}, {key[1]} start" for key in keys}
    fig = figures.hist_qq({label[k]: np.concatenate([pooled[(s,) + k] for s in ch.seeds]) for k in keys}, title,
                          {label[k]: STYLES[k] for k in keys})
    for ax in fig.axes:  # the library's legends are at 8 points; the page needs 9
        for text in ax.get_legend().get_texts():
            text.set_fontsize(9)
    fig.tight_layout()
    return fig


fig = hist_qq([("untrained", "gaussian"), ("untrained", "uniform")],
              "Representation noise at initialisation: pooled per-pixel deviations, all seeds")
ch.figure(fig, "noise_at_init")

# %% [markdown]
# ```{glue:figure} noise_at_init
# :name: fig-03-noise-at-init
# :alt: Histogram on a log scale and normal Q-Q plot of the pooled representation deviations of the untrained MLP, from a Gaussian and from a uniform start.
#
# The untrained MLP's representation noise: histogram (log scale) and normal Q-Q plot of the
# pooled deviations of every seed, from the Gaussian start (the measurement) and from the
# uniform start (the control).
# ```

# %%
m9 = ch.measurement("C9")
for s in ch.seeds:
    t, c = table[s, "untrained", "gaussian"], table[s, "untrained", "uniform"]
    m9.add(s, value={"value": abs(t["excess kurtosis"]), "skew": abs(t["skew"])},
           control={"value": abs(c["excess kurtosis"]), "skew": abs(c["skew"])},
           gates=desc[s, "untrained", "gaussian"]["gates"] + desc[s, "untrained", "uniform"]["gates"],
           details={"skew": t["skew"], "excess_kurtosis": t["excess kurtosis"], "ks": t["KS"], "shapiro_w": t["Shapiro W"],
                    "ks_floor": ks_floor[s], "K": K, "n_pixels": n_in, "own_start_share": t["own-start share"],
                    "uniform_start_excess_kurtosis": c["excess kurtosis"],
                    "uniform_start_own_start_share": c["own-start share"],
                    "e0": desc[s, "untrained", "gaussian"]["e0"], "e": desc[s, "untrained", "gaussian"]["e"]})
c9 = ch.claim(m9, figure="noise_at_init")
u0, uu = stat.loc[("untrained", "gaussian")], stat.loc[("untrained", "uniform")]
moved0 = float(np.median([desc[s, "untrained", "gaussian"]["gates"][0].value for s in ch.seeds]))
own0 = float(u0["own-start share"])
inherit_reading = ("far from Gaussian: the representation keeps the shape of its start, so the Gaussian look of the "
                   "measurement is inherited from the Gaussian start rather than made by summation"
                   if not claims.get("C9").test().passes(abs(uu["excess kurtosis"])) else
                   "close to Gaussian as well: the descent mixes the starting noise of many pixels into each one, "
                   "as the central-limit argument needs")
sum_reading = ("pass the test of C9" if claims.get("C9").test().passes(abs(uu["sums: excess kurtosis"]))
               and claims.get("C9").test("skew").passes(abs(uu["sums: skew"])) else "fail the test of C9")
for key, val in {"inherit_reading": inherit_reading, "sum_reading": sum_reading,
                 "c9_kurt": u0["excess kurtosis"], "c9_skew": u0["skew"], "c9_ks": u0["KS"], "c9_w": u0["Shapiro W"],
                 "ks_floor": float(np.median(list(ks_floor.values()))), "own_share": own0,
                 "unif_kurt": uu["excess kurtosis"], "unif_sum_kurt": uu["sums: excess kurtosis"],
                 "unif_sum_ks": uu["sums: KS"], "dev_std": u0["deviation std"], "null_share": 1 - widths[-1] / n_in,
                 "null_std": rep_cfg.init_std * np.sqrt(1 - widths[-1] / n_in), "n_in": n_in,
                 "n_bottleneck": widths[-1], "K": K, "n_seeds": len(ch.seeds), "moved0": moved0,
                 "moved_limit": claims.GATES["descent moved"].limit}.items():
    ch.glue(key, val)
moved_ok = claims.GATES["descent moved"].passes(moved0)
ch.glue("moved_sentence",
        f"The descent moved the representation error by a fraction {moved0:.3f} of its start value (median over "
        f"seeds; the gate asks for at least {claims.GATES['descent moved'].limit:g})"
        + (": the representation stayed close to its start, so these statistics describe mostly the start."
           if not moved_ok else ": the representation moved well away from its start."))

# %% [markdown]
# **C9 {glue:text}`c9_verdict`** ({glue:text}`c9_reason`). At initialisation the pooled deviations
# of {glue:text}`K` representations of one target have skew {glue:text}`c9_skew:.3f` and excess
# kurtosis {glue:text}`c9_kurt:.3f` (medians over {glue:text}`n_seeds` seeds); their KS distance to
# the normal law is {glue:text}`c9_ks:.4f`, against a floor of {glue:text}`ks_floor:.4f` for a
# truly Gaussian array of the same shape, and their Shapiro-Wilk $W$ is {glue:text}`c9_w:.4f`.
# {glue:text}`moved_sentence`
#
# **Where that shape comes from.** The deviations have a standard deviation of
# {glue:text}`dev_std:.4f`, where the linear picture predicts $0.05\sqrt{1 - m/n} =$
# {glue:text}`null_std:.4f` for a bottleneck of $m =$ {glue:text}`n_bottleneck` numbers and
# $n =$ {glue:text}`n_in` pixels; each pixel's own starting value explains a share
# {glue:text}`own_share:.2f` of its spread (linear picture: $1 - m/n =$
# {glue:text}`null_share:.2f`). From a uniform start with the same mean and spread, the pooled
# deviations have excess kurtosis {glue:text}`unif_kurt:.2f` (the start itself: $-1.2$),
# {glue:text}`inherit_reading`. The first layer's pre-activations, the sums the theorem speaks
# of, have from that uniform start excess kurtosis {glue:text}`unif_sum_kurt:.2f` and KS
# distance {glue:text}`unif_sum_ks:.4f`: they {glue:text}`sum_reading`.

# %% [markdown]
# (claim-c10)=
# ## C10: Lyapunov's ratio for the first layer
#
# Now the terms of the theorem, made concrete. For unit $j$ of the first (non-invertible) layer
# and input pixel $i$, $X_i = W_{ji}\, a_{g,i}$, a random variable through the random start; its
# moments are estimated over the $K$ representations of the untrained model
# ($\mathbb E|X_i - \mu_i|^3 = |W_{ji}|^3\, \mathbb E|a_{g,i} - \bar a_{g,i}|^3$ and
# $\sigma_i^2 = W_{ji}^2 \operatorname{Var} a_{g,i}$). The pixels enter the sum in one fixed
# random order per seed, so that the first $n$ terms are not all from one corner or one colour;
# $L_n$ is computed for $n$ on a logarithmic grid up to all the pixels and averaged over every
# unit of the layer. The same is done for the trained model, with the uniform start, and for the
# control: the untrained model's representations summed with Cauchy weights.
#
# The ratio uses only the marginal moments of the terms. The theorem also assumes the terms
# independent; the last column checks that assumption on the full sum, as the variance of
# $z_j$ over the starts divided by $s_n^2 = \sum_i \sigma_i^2$ (1 for uncorrelated terms). The
# identity $P_N a_g = P_N a_0$ predicts a value below 1: the part of each term that lies in the
# first layer's null space cancels exactly in the sum.

# %%
ns = G.log_spaced(n_in, 12)
lyap, orders, ctrl_w = {}, {}, {}
for s in ch.seeds:
    orders[s] = torch.randperm(n_in, generator=ch.rng("pixel order", s, device="cpu")).numpy()
    w0 = mlps[s]["untrained"].linears()[0].weight
    ctrl_w[s] = G.heavy_tailed_weights(tuple(w0.shape), seed=ch.seed_of("heavy-tailed weights", s))
    for (ss, m, kind), a_g in runs.items():
        if ss != s:
            continue
        w = mlps[s][m].linears()[0].weight.detach().cpu().numpy()[:, orders[s]]
        x = a_g.flatten(1).cpu().numpy()[:, orders[s]]
        lyap[s, m, kind] = (*G.lyapunov_slope(w, x, ns), G.sum_variance_ratio(w, x))
    x0 = runs[s, "untrained", "gaussian"].flatten(1).cpu().numpy()[:, orders[s]]
    lyap[s, "control: Cauchy weights", "gaussian"] = (*G.lyapunov_slope(ctrl_w[s], x0, ns),
                                                      G.sum_variance_ratio(ctrl_w[s], x0))
share = {(s, m): G.largest_share(mlps[s][m].linears()[0].weight) for s in ch.seeds for m in ("untrained", "trained")}
share |= {(s, "control"): G.largest_share(ctrl_w[s]) for s in ch.seeds}
w_kurt = {(s, m): float(stats.kurtosis(mlps[s][m].linears()[0].weight.detach().cpu().numpy().ravel()))
          for s in ch.seeds for m in ("untrained", "trained")}
lyap_table = pd.DataFrame({key: {"slope": v[1], f"L_n at n={ns[0]}": v[0][0], f"L_n at n={ns[-1]}": v[0][-1],
                                 "Var(z_j) / s_n^2": v[3]} for key, v in lyap.items()}).T
lyap_table.index.names = ["seed", "model", "start"]
report.show(lyap_table.groupby(level=["model", "start"]).median())

# %%
fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(7, 7.6))
for (m, kind), color, marker in ((("untrained", "gaussian"), "tab:blue", "o"), (("trained", "gaussian"), "tab:red", "x"),
                                 (("untrained", "uniform"), "tab:green", "s"),
                                 (("control: Cauchy weights", "gaussian"), "tab:grey", "d")):
    for s in ch.seeds:
        ratio, slope, icpt, _ = lyap[s, m, kind]
        ax1.plot(ns, ratio, marker, color=color, ms=4, mfc="none",
                 label=f"{m}, {kind} start: slope {np.median([lyap[q, m, kind][1] for q in ch.seeds]):.2f}"
                 if s == s0 else None)
        ax1.plot(ns, np.exp(icpt) * ns ** slope, "-", color=color, lw=0.7)
ref = lyap[s0, "untrained", "gaussian"]
ax1.plot(ns, ref[0][0] * (ns / ns[0]) ** -0.5, "k:", lw=1.2, label="slope -1/2")
ax1.set_xscale("log")
ax1.set_yscale("log")
ax1.set_xlabel("number of summed terms n")
ax1.set_ylabel("Lyapunov ratio L_n (mean over units)")
ax1.legend(fontsize=9, loc="lower left")
bins = np.linspace(-5, 5, 61)
for m, color in (("untrained", "tab:blue"), ("trained", "tab:red")):
    w = mlps[s0][m].linears()[0].weight.detach().cpu().numpy()
    wz = (w / np.sqrt((w ** 2).mean(axis=1, keepdims=True))).ravel()
    ax2.hist(wz, bins=bins, density=True, histtype="step", lw=1.4, color=color,
             label=f"{m}: excess kurtosis {w_kurt[s0, m]:.2f}")
ax2.set_yscale("log")
ax2.set_xlabel("first-layer weight / RMS of its unit's weights")
ax2.set_ylabel("density (log scale)")
ax2.legend(fontsize=9)
fig.tight_layout()
ch.figure(fig, "lyapunov_ratio")

# %% [markdown]
# ```{glue:figure} lyapunov_ratio
# :name: fig-03-lyapunov-ratio
# :alt: Top, the Lyapunov ratio against the number of summed terms on log-log axes for four settings; bottom, histograms of the first layer's normalised weights before and after training.
#
# Top: the mean Lyapunov ratio against the number of summed terms, one set of points per seed,
# with each seed's fitted line; the legend gives the median slope, the dotted line a slope of
# $-1/2$. Bottom: the first layer's weights of the first seed, each divided by the RMS of its
# unit's weights, before and after training.
# ```

# %%
m10 = ch.measurement("C10")
for s in ch.seeds:
    v, c = lyap[s, "untrained", "gaussian"], lyap[s, "control: Cauchy weights", "gaussian"]
    m10.add(s, value=v[1], control=c[1],
            details={"ratio_first": float(v[0][0]), "ratio_last": float(v[0][-1]), "slope_trained":
                     lyap[s, "trained", "gaussian"][1], "slope_uniform": lyap[s, "untrained", "uniform"][1],
                     "sum_variance_ratio": v[3], "sum_variance_ratio_trained": lyap[s, "trained", "gaussian"][3],
                     "largest_share_untrained": share[s, "untrained"], "largest_share_trained": share[s, "trained"],
                     "largest_share_control": share[s, "control"]})
c10 = ch.claim(m10, figure="lyapunov_ratio", details={"ns": ns.tolist()})
med = report.median
for key, val in {"c10_slope_trained": med(lyap[s, "trained", "gaussian"][1] for s in ch.seeds),
                 "c10_slope_uniform": med(lyap[s, "untrained", "uniform"][1] for s in ch.seeds),
                 "c10_first": med(lyap[s, "untrained", "gaussian"][0][0] for s in ch.seeds),
                 "c10_last": med(lyap[s, "untrained", "gaussian"][0][-1] for s in ch.seeds), "n_first": int(ns[0]),
                 "var_ratio": med(lyap[s, "untrained", "gaussian"][3] for s in ch.seeds),
                 "var_ratio_trained": med(lyap[s, "trained", "gaussian"][3] for s in ch.seeds),
                 "share_untrained": med(share[s, "untrained"] for s in ch.seeds),
                 "share_trained": med(share[s, "trained"] for s in ch.seeds),
                 "share_control": med(share[s, "control"] for s in ch.seeds),
                 "wkurt_untrained": med(w_kurt[s, "untrained"] for s in ch.seeds),
                 "wkurt_trained": med(w_kurt[s, "trained"] for s in ch.seeds)}.items():
    ch.glue(key, val)

# %% [markdown]
# **C10 {glue:text}`c10_verdict`** ({glue:text}`c10_reason`). The mean Lyapunov ratio goes from
# {glue:text}`c10_first:.3f` at $n =$ {glue:text}`n_first` to {glue:text}`c10_last:.4f` over all
# pixels, a log-log slope of {glue:text}`c10_value:.3f` (median over seeds; $-1/2$ expected for
# comparable terms). With Cauchy weights, where the largest weight of a unit holds on average a
# share {glue:text}`share_control:.2f` of its squared weights, the slope is
# {glue:text}`c10_ctrl:.3f`: the test does fail when a few terms dominate. But it passes
# for every layer of comparable weights: after training the slope is
# {glue:text}`c10_slope_trained:.3f`, and from the uniform start {glue:text}`c10_slope_uniform:.3f`.
# The terms are not independent: over all pixels the variance of the sum is
# {glue:text}`var_ratio:.2f` times $s_n^2$ before training and {glue:text}`var_ratio_trained:.2f`
# times after (1 for independent terms). The largest single weight of a first-layer unit holds on
# average a share {glue:text}`share_untrained:.4f` of the unit's squared weights before training
# and {glue:text}`share_trained:.4f` after (one weight in {glue:text}`n_in` would hold all of it
# at 1); the excess kurtosis of the weights goes from {glue:text}`wkurt_untrained:.2f` (the
# uniform initialisation) to {glue:text}`wkurt_trained:.2f`.

# %% [markdown]
# (claim-c11)=
# ## C11: the noise after training
#
# The same measurement on the trained model, from the same starts. The control divides the KS
# distance of another seed's untrained MLP by this seed's: two untrained models, a ratio near 1.

# %%
fig = hist_qq([("untrained", "gaussian"), ("trained", "gaussian"), ("trained", "uniform")],
              "Representation noise before and after training, all seeds")
ch.figure(fig, "noise_trained_vs_untrained")

# %% [markdown]
# ```{glue:figure} noise_trained_vs_untrained
# :name: fig-03-noise-trained
# :alt: Histogram on a log scale and normal Q-Q plot of the pooled representation deviations before and after training.
#
# Histogram (log scale) and normal Q-Q plot of the pooled deviations of every seed before and
# after training from the Gaussian start, and after training from the uniform start.
# ```

# %%
s_next = {s: ch.seeds[(i + 1) % len(ch.seeds)] for i, s in enumerate(ch.seeds)}
m11 = ch.measurement("C11")
for s in ch.seeds:
    ks_u, ks_t = table[s, "untrained", "gaussian"]["KS"], table[s, "trained", "gaussian"]["KS"]
    ks_c = table[s_next[s], "untrained", "gaussian"]["KS"]
    m11.add(s, value={"value": ks_t / max(ks_u, 1e-12), "ks_floor": ks_t / ks_floor[s]},
            control={"value": ks_c / max(ks_u, 1e-12), "ks_floor": ks_c / ks_floor[s]},
            gates=mlps[s]["gates"] + desc[s, "trained", "gaussian"]["gates"] + desc[s, "untrained", "gaussian"]["gates"],
            details={"ks_trained": ks_t, "ks_untrained": ks_u, "ks_floor": ks_floor[s], "control_seed": s_next[s],
                     "skew_trained": table[s, "trained", "gaussian"]["skew"],
                     "excess_kurtosis_trained": table[s, "trained", "gaussian"]["excess kurtosis"],
                     "own_start_share_trained": table[s, "trained", "gaussian"]["own-start share"],
                     "own_start_share_untrained": table[s, "untrained", "gaussian"]["own-start share"],
                     "uniform_start_kurtosis_trained": table[s, "trained", "uniform"]["excess kurtosis"],
                     "uniform_start_kurtosis_untrained": table[s, "untrained", "uniform"]["excess kurtosis"],
                     "recon_trained": float(recon.loc[s, "trained"]), "training_steps": int(mlps[s]["run"].steps)})
c11 = ch.claim(m11, figure="noise_trained_vs_untrained")
t0, tu = stat.loc[("trained", "gaussian")], stat.loc[("trained", "uniform")]
k_before, k_after = float(uu["excess kurtosis"]), float(tu["excess kurtosis"])
if abs(k_after) < abs(k_before) - 0.1:
    mix_reading = "closer to Gaussian than before training"
elif abs(k_after) > abs(k_before) + 0.1:
    mix_reading = "further from Gaussian than before training"
else:
    mix_reading = "about as far from Gaussian as before training"
moved_t = float(np.median([desc[s, "trained", "gaussian"]["gates"][0].value for s in ch.seeds]))
for key, val in {"ks_trained": float(t0["KS"]), "ks_init": float(u0["KS"]),
                 "ks_floor2": 2 * float(np.median(list(ks_floor.values()))),
                 "kurt_trained": float(t0["excess kurtosis"]), "skew_trained": float(t0["skew"]),
                 "own_share_trained": float(t0["own-start share"]), "unif_kurt_trained": k_after,
                 "mix_reading": mix_reading, "moved_trained": moved_t,
                 "recon_trained": float(np.median(recon["trained"].astype(float))),
                 "train_steps": int(np.median([mlps[s]["run"].steps for s in ch.seeds]))}.items():
    ch.glue(key, val)

# %% [markdown]
# **C11 {glue:text}`c11_verdict`** ({glue:text}`c11_reason`). After {glue:text}`train_steps`
# training steps (held-out reconstruction error {glue:text}`recon_trained:.3f`) the KS distance is
# {glue:text}`ks_trained:.4f` against {glue:text}`ks_init:.4f` before training, a ratio of
# {glue:text}`c11_value:.2f` (medians over seeds; two untrained MLPs give
# {glue:text}`c11_ctrl:.2f`; the trained distance must also exceed twice the floor,
# {glue:text}`ks_floor2:.4f`); skew {glue:text}`skew_trained:.3f`, excess kurtosis
# {glue:text}`kurt_trained:.3f`. The trained model's descent moved the representation error by
# a fraction {glue:text}`moved_trained:.2f` of its start value, the untrained one's by
# {glue:text}`moved0:.3f`. From the uniform start the trained model's deviations have excess
# kurtosis {glue:text}`unif_kurt_trained:.2f`, {glue:text}`mix_reading`, and each pixel's own start
# explains a share {glue:text}`own_share_trained:.2f` of its spread, against
# {glue:text}`own_share:.2f` before training.
#
# ## What the essay gets right, what it gets wrong, and why

# %%
lines = []
inherited = own0 > 0.5
start_shape_kept = not claims.get("C9").test().passes(abs(uu["excess kurtosis"]))
gauss_look = (claims.get("C9").test().passes(abs(u0["excess kurtosis"]))
              and claims.get("C9").test("skew").passes(abs(u0["skew"])))
if inherited and start_shape_kept:
    lines.append(
        (f"The essay is right that the representation noise of the untrained MLP looks Gaussian (excess kurtosis "
         f"{u0['excess kurtosis']:.2f}, skew {u0['skew']:.2f}), but not about why: "
         if gauss_look else
         f"The representation noise of the untrained MLP is not close to Gaussian (excess kurtosis "
         f"{u0['excess kurtosis']:.2f}, skew {u0['skew']:.2f}), and its shape is not the layer's doing either: ")
        + f"each pixel's own start explains "
        f"{own0:.0%} of its spread, and from a uniform start the noise keeps the uniform law's shape (excess kurtosis "
        f"{uu['excess kurtosis']:.2f}). The noise is the part of the start the layer cannot see, and it has the "
        f"shape of the essay's start. C9 {report.verdict_verb(c9)}"
        + (f" ({c9['reason']})." if c9["reason"] else "."))
elif not start_shape_kept:
    lines.append(
        f"From a uniform start the noise becomes Gaussian too (excess kurtosis {uu['excess kurtosis']:.2f}): the "
        f"descent mixes many pixels' starts into each one, as the essay's central-limit argument needs. C9 "
        f"{report.verdict_verb(c9)}" + (f" ({c9['reason']})." if c9["reason"] else "."))
else:
    lines.append(
        f"The noise at initialisation has excess kurtosis {u0['excess kurtosis']:.2f}; each pixel's own start explains "
        f"{own0:.0%} of its spread. C9 {report.verdict_verb(c9)}" + (f" ({c9['reason']})." if c9["reason"] else "."))
c10_word = {"holds": "holds", "does not hold": "does not hold"}.get(c10["verdict"], "is not settled")
slope_t = med(lyap[s, "trained", "gaussian"][1] for s in ch.seeds)
trained_pass = claims.get("C10").test().passes(slope_t)
control_pass = claims.get("C10").test().passes(c10["control"]["value"])
lines.append(
    f"Lyapunov's condition {c10_word} for the first layer's sums at initialisation (slope {c10['median']:.2f}; C10 "
    f"{report.verdict_verb(c10)}" + (f": {c10['reason']}" if c10["reason"] else "") + "). "
    + (f"After training the slope is {slope_t:.2f}, so the condition holds there too, "
       if trained_pass else
       f"After training the slope is {slope_t:.2f}, so training does break the condition, as the essay expects, ")
    + (f"while Cauchy weights, a few of which dominate every sum, give {c10['control']['value']:.2f} and fail the test. "
       if not control_pass else
       f"and Cauchy weights give {c10['control']['value']:.2f}, which passes too. ")
    + ("The condition needs weights of comparable size, not the near-identical weights of an untrained layer, and it "
       "is about the sums a layer forms, not the pixels whose noise C9 measures." if trained_pass else
       "It is about the sums a layer forms, not the pixels whose noise C9 measures."))
ks_ratio_med = c11["median"]
if abs(k_after) < abs(k_before) - 0.1:
    direction = (f"training makes the noise mix more, not less: from the uniform start its excess kurtosis moves "
                 f"from {k_before:.2f} to {k_after:.2f}, toward the Gaussian, and the own-start share goes from "
                 f"{own0:.2f} to {float(t0['own-start share']):.2f}")
elif abs(k_after) > abs(k_before) + 0.1:
    direction = (f"from the uniform start the excess kurtosis moves from {k_before:.2f} to {k_after:.2f}, away from "
                 f"the Gaussian, as the essay expects")
else:
    direction = (f"training hardly changes how much the noise mixes: from the uniform start its excess kurtosis is "
                 f"{k_before:.2f} before and {k_after:.2f} after")
lines.append(
    f"After training the KS distance changes by a factor {ks_ratio_med:.2f} (C11 {report.verdict_verb(c11)}"
    + (f": {c11['reason']}" if c11["reason"] else "") + f"); {direction}. "
    + ("So the essay's mechanism, near-identical weights making the noise Gaussian and training undoing it, is not "
       "what these measurements show: the shape of the noise is set by the start, which the layer cannot see."
       if inherited else
       "The noise is mostly made by the descent, not carried from the start, so these measurements do test the "
       "essay's mechanism." if c11["verdict"] == "holds" else
       "The noise is mostly made by the descent, not carried from the start, yet training does not make it "
       "measurably less Gaussian here."))
conclusion = " ".join(lines)
ch.glue("conclusion_c9", lines[0])
ch.glue("conclusion_c10", lines[1])
ch.glue("conclusion_c11", lines[2])

# %% [markdown]
# - {glue:text}`conclusion_c9`
# - {glue:text}`conclusion_c10`
# - {glue:text}`conclusion_c11`
#
# How to read this. The identity $P_N a_g = P_N a_0$ of the first section says that along the
# directions a layer cannot see, a representation keeps its start. Wherever those directions
# hold most of each pixel's spread (the own-start share), the noise of a representation has the
# shape of the starting noise, before and after training, and a Gaussian start gives Gaussian
# noise without any help from the central limit theorem; it is also why the untrained model's
# descent barely changes the representation error, and why C9 and C11 cannot be decided on these
# descents. The theorem, and Lyapunov's ratio that underwrites it, apply to the sums a layer
# forms from its inputs; there they need only terms of comparable size, not identical weights.
# At the `paper` profile the image, the layers and the training are larger; the inherited part
# of the noise follows from the null-space identity alone and should not depend on scale, while
# the mixing after training may.

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
# - B. L. Badger, *Autoencoders: Learning by Copying*, blbadger.github.io, section on
#   non-invertibility and Gaussian noise; and *Input representation* on the same site.
# - P. Billingsley, *Probability and Measure*, 3rd ed., Wiley 1995, section 27 (the Lindeberg
#   and Lyapunov central limit theorems).
# - S. S. Shapiro, M. B. Wilk, *An analysis of variance test for normality (complete samples)*,
#   Biometrika 52, 1965.
# - P. Virtanen et al., *SciPy 1.0: fundamental algorithms for scientific computing in Python*,
#   Nature Methods 17, 2020 (`scipy.stats`).
