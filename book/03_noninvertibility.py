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
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from scipy import stats

import aelib.chapter
from aelib import figures, metrics, models
from aelib import gaussianity as G
from aelib.models import ModelConfig
from aelib.representation import represent
from aelib.seeding import set_seed

ch = aelib.chapter.start("03_noninvertibility", PROFILE)
P = ch.profile
data = ch.data_at(P.fc_image_size)
print(data.describe())

# %% [markdown]
# ## Thresholds, fixed before the first run
#
# All statistics are computed on the pooled, per-pixel standardised deviations: for each pixel,
# its value in the $K$ representations minus its mean over them, divided by its standard
# deviation over them, all pixels pooled into one sample of $K \times n$ values.
#
# | claim | value | holds when |
# |---|---|---|
# | C9 | $\lvert$excess kurtosis$\rvert$ of the pooled deviations at initialisation (Gaussian start) | $< 0.5$ **and** $\lvert$skew$\rvert < 0.2$ |
# | C10 | slope of $\log \bar L_n$ against $\log n$ at initialisation, $\bar L_n$ the mean of $L_n$ over the first layer's units | $< -0.35$ |
# | C11 | KS distance to $\mathcal N(0,1)$ after training over the KS distance at initialisation | $> 1.5$ **and** the trained KS distance above twice the KS floor of a Gaussian array of the same shape |
#
# Why these numbers. An excess kurtosis of 0.5 is that of a Student $t$ law with 16 degrees of
# freedom, and a skew of 0.2 a mild asymmetry; a uniform law (kurtosis $-1.2$), a Laplace law
# (3) or an exponential one (skew 2) fail clearly. The slope $-0.35$ leaves room for the
# curvature of a finite range around the expected $-1/2$, while a ratio that stalls has a slope
# near 0. For C11 a ratio of 1.5 asks for a clear change rather than a fluctuation of a
# small number, and the second condition stops a ratio of two tiny, sampling-dominated distances
# from counting: with $K \times n$ values even a perfectly Gaussian array has a KS distance of a
# few thousandths, which `aelib.gaussianity.ks_null` measures.

# %%
C9_KURT, C9_SKEW = 0.5, 0.2
C9_THRESHOLD = "< 0.5"
C10_THRESHOLD = "< -0.35"
C11_RATIO, C11_FLOOR_FACTOR = 1.5, 2.0
C11_THRESHOLD = "> 1.5"

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
# The trained copy is trained to copy the profile's training images with the book's shared
# trainer (Adam, MSE) and loaded from the cache when it is there; the untrained copy is the same
# initialisation, before any step.

# %%
mlp_cfg = ModelConfig(kind="mlp", image_size=P.fc_image_size, width=P.nonin_width, n_hidden=P.nonin_layers)
trained = ch.train("mlp", mlp_cfg, ch.train_config(steps=P.nonin_steps))
set_seed(P.seed)  # the trainer seeds the initialisation the same way
untrained = models.build(mlp_cfg).to(ch.device).train()
assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in untrained.modules())
widths = models.mlp_widths(mlp_cfg.width, mlp_cfg.n_hidden)
n_in = 3 * P.fc_image_size ** 2
held = ch.eval_images(P.fc_image_size)
with torch.no_grad():
    recon = {name: float(((m(held) - held).flatten(1).norm(dim=1) / held.flatten(1).norm(dim=1)).median())
             for name, m in (("untrained", untrained), ("trained", trained.model))}
print(f"MLP {n_in} -> {' -> '.join(map(str, widths))} -> ... -> {n_in}: {models.n_params(trained.model):,} parameters; "
      f"{trained.steps} training steps ({'loaded from cache' if trained.hit else 'trained'})")
print(f"held-out clean reconstruction error |O(a) - a| / |a|: untrained {recon['untrained']:.3f}, "
      f"trained {recon['trained']:.3f}")

# %% [markdown]
# ## Many representations of one target
#
# One held-out image is repeated $K$ times to make a batch, and each row receives its own
# random start. The model has no batch norm, so the rows never see each other: the batch is
# just $K$ independent descents run side by side. The cell checks both facts: the starts differ
# from row to row, and the gradient of one row does not change when every other row does. It
# also represents the last row on its own: in exact arithmetic the result would be the same as
# in the batch. In floating point a matrix product rounds differently for different batch
# sizes, and near convergence the sign in the $L^1$ loss turns such rounding into whole steps,
# so the two differ by a small amount, printed next to the spread between starts.
#
# The descent is the essay's (plain gradient steps on $s \sum |\hat y - O(a)|$, constant step,
# no blur, no clamping) with a larger step than its 0.1, because the untrained MLP's output
# depends only weakly on its input (the profile gives the step and why). The loss falls by the
# factor printed below for each run.

# %%
K = P.nonin_starts
rep_cfg = ch.representation_config(steps=P.nonin_rep_steps, lr=P.nonin_rep_lr)
target = held[:1]
batch = target.expand(K, *target.shape[1:]).contiguous()
gauss_start = torch.randn(batch.shape, generator=ch.generator(31), device=ch.device) * rep_cfg.init_std \
    + rep_cfg.init_mean
half_width = rep_cfg.init_std * math.sqrt(3.0)  # a uniform law with the same mean and standard deviation
unif_start = (torch.rand(batch.shape, generator=ch.generator(37), device=ch.device) * 2 - 1) * half_width \
    + rep_cfg.init_mean
assert (gauss_start[0] - gauss_start[1]).abs().max() > 0, "every row must get its own start"

runs, losses = {}, {}
for model_name, model in (("untrained", untrained), ("trained", trained.model)):
    for start_name, start in (("gaussian", gauss_start), ("uniform", unif_start)):
        a_g, loss = represent(model, batch, rep_cfg, start=start, record_every=max(1, rep_cfg.steps // 50))
        with torch.no_grad():
            final = rep_cfg.loss_scale * float((model(batch) - model(a_g)).abs().sum())
        runs[model_name, start_name] = a_g
        losses[model_name, start_name] = (loss[0], final)

# rows do not interact: changing every other row leaves row 0's gradient as it was
y_hat = untrained(batch).detach()


def input_grad(x):
    x = x.detach().clone().requires_grad_(True)
    return torch.autograd.grad(rep_cfg.loss_scale * (y_hat - untrained(x)).abs().sum(), x)[0]


other = gauss_start.clone()
other[1:] = unif_start[1:]
grad_gap = float((input_grad(gauss_start)[0] - input_grad(other)[0]).abs().max()
                 / input_grad(gauss_start)[0].abs().max())
assert grad_gap < 1e-4, grad_gap
alone, _ = represent(untrained, target, rep_cfg, start=gauss_start[K - 1:])
row_gap = float((alone - runs["untrained", "gaussian"][K - 1:]).abs().max())
spread = float(G.deviations(runs["untrained", "gaussian"]).std())
print(f"{K} starts of one {tuple(target.shape[1:])} target. Row 0's gradient after changing all other rows: "
      f"relative change {grad_gap:.1e}.\nLast row represented alone vs in the batch, after the whole descent: max "
      f"difference {row_gap:.1e}, against a spread of {spread:.1e} between starts.")
pd.DataFrame({f"{m}, {s} start": {"loss at start": l[0], "loss at end": l[-1], "fall (x)": l[0] / l[-1],
                                  "e = |a_g - a| / |a|": metrics.representation_error(runs[m, s], batch)}
              for (m, s), l in losses.items()}).T.round(3)

# %%
show = 8
rows = {"target a": target.expand(show, *target.shape[1:])}
for m in ("untrained", "trained"):
    a_g = runs[m, "gaussian"]
    dev = a_g - a_g.mean(0, keepdim=True)
    rows[f"a_g, {m}"] = a_g[:show]
    rows[f"a_g - mean, {m}"] = 0.5 + dev[:show] / (6 * dev.std())
fig = figures.image_rows(rows, n=show, scale=1.3)
ch.figure(fig, "many_starts");

# %% [markdown]
# Each column is one start. The rows marked "$a_g -$ mean" show what varies from start to
# start (scaled so that $\pm 3$ standard deviations fill the grey range): the noise whose
# distribution the rest of the chapter measures.

# %% [markdown]
# ## C9: the noise at initialisation
#
# The deviations of the untrained model's representations from their per-pixel mean, pooled
# over pixels after standardising each pixel, against the standard normal law. The table also
# gives the same statistics for the trained model (C11 below), for the uniform-start control,
# and for the sums the central limit theorem is actually about: the first layer's
# pre-activations $z_j = \sum_i W_{ji} a_{g,i}$ over the $K$ representations, standardised per
# unit and pooled. The last columns are the share of each pixel's spread explained by its own
# starting value (`aelib.gaussianity.own_start_share`) and the raw standard deviation
# of the deviations.

# %%
first = {"untrained": untrained.linears()[0], "trained": trained.model.linears()[0]}
table, pooled = {}, {}
for (m, s), a_g in runs.items():
    z = G.standardized_deviations(a_g)
    pooled[m, s] = z
    with torch.no_grad():
        pre = a_g.flatten(1) @ first[m].weight.T
    start = gauss_start if s == "gaussian" else unif_start
    pix, sums = G.normality(z, seed=P.seed), G.normality(G.standardized_deviations(pre), seed=P.seed)
    table[m, s] = {"skew": pix["skew"], "excess kurtosis": pix["excess_kurtosis"], "KS": pix["ks"],
                   "Shapiro W": pix["shapiro_w"], "sums: skew": sums["skew"],
                   "sums: excess kurtosis": sums["excess_kurtosis"], "sums: KS": sums["ks"],
                   "own-start share": G.own_start_share(a_g, start),
                   "deviation std": float(G.deviations(a_g).std())}
ks_floor = G.ks_null(K, n_in, seed=P.seed)
stats_table = pd.DataFrame(table).T
stats_table.index.names = ["model", "start"]
print(f"pooled sample: {len(pooled['untrained', 'gaussian']):,} values; KS floor of a Gaussian array of the same "
      f"shape: {ks_floor:.4f}; a uniform law has excess kurtosis -1.2")
stats_table.round(4)

# %%
def hist_qq(keys, title):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    grid = np.linspace(-5, 5, 401)
    styles = {("untrained", "gaussian"): dict(color="tab:blue"), ("trained", "gaussian"): dict(color="tab:red"),
              ("untrained", "uniform"): dict(color="tab:green", ls="--"),
              ("trained", "uniform"): dict(color="tab:orange", ls="--")}
    for key in keys:
        z = pooled[key]
        label = f"{key[0]}, {key[1]} start"
        ax1.hist(z, bins=np.linspace(-5, 5, 81), density=True, histtype="step", lw=1.4, label=label,
                 color=styles[key]["color"])
        th, emp = G.qq_points(z)
        ax2.plot(th, emp, label=label, lw=1.4, **styles[key])
    ax1.plot(grid, stats.norm.pdf(grid), "k:", lw=1.2, label="N(0, 1)")
    ax1.set_yscale("log")
    ax1.set_ylim(1e-5, 1)
    ax1.set_xlabel("standardised deviation")
    ax1.set_ylabel("density (log scale)")
    ax1.legend(fontsize=8, loc="lower center")
    lim = 4.5
    ax2.plot([-lim, lim], [-lim, lim], "k:", lw=1.2, label="y = x (normal)")
    ax2.set_xlim(-lim, lim)
    ax2.set_ylim(-lim, lim)
    ax2.set_xlabel("standard normal quantile")
    ax2.set_ylabel("sample quantile")
    ax2.legend(fontsize=8, loc="upper left")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


fig = hist_qq([("untrained", "gaussian"), ("untrained", "uniform")],
              "Representation noise at initialisation: pooled per-pixel deviations")
ch.figure(fig, "noise_at_init");

# %%
c9 = table["untrained", "gaussian"]
c9_value = abs(c9["excess kurtosis"])
c9_verdict = c9_value < C9_KURT and abs(c9["skew"]) < C9_SKEW
ch.record("C9", c9_value, f"{C9_THRESHOLD} and |skew| < {C9_SKEW}", c9_verdict,
          measure="|excess kurtosis| of pooled per-pixel deviations of K representations of one target, "
                  "untrained MLP, Gaussian start", figure="noise_at_init",
          details={"skew": c9["skew"], "excess_kurtosis": c9["excess kurtosis"], "ks": c9["KS"],
                   "shapiro_w": c9["Shapiro W"], "ks_floor": ks_floor, "K": K, "n_pixels": n_in,
                   "uniform_start_excess_kurtosis": table["untrained", "uniform"]["excess kurtosis"],
                   "own_start_share": c9["own-start share"]})
unif, unif_pre = table["untrained", "uniform"], table["untrained", "uniform"]
inherit_reading = ("far from Gaussian: the representation keeps the shape of its start, so the Gaussian "
                   "look of C9 is inherited from the Gaussian start rather than made by summation"
                   if abs(unif["excess kurtosis"]) >= C9_KURT or abs(unif["skew"]) >= C9_SKEW else
                   "close to Gaussian as well: the descent mixes the starting noise of many pixels into each one, "
                   "as the central-limit argument needs")
sum_reading = ("pass the test of C9" if abs(unif_pre["sums: excess kurtosis"]) < C9_KURT
               and abs(unif_pre["sums: skew"]) < C9_SKEW else "fail the test of C9")
ch.glue("inherit_reading", inherit_reading)
ch.glue("sum_reading", sum_reading)
for key, val in {"c9_kurt": c9["excess kurtosis"], "c9_skew": c9["skew"], "c9_ks": c9["KS"],
                 "c9_w": c9["Shapiro W"], "ks_floor": ks_floor, "c9_verdict": "holds" if c9_verdict else "does not hold",
                 "own_share": c9["own-start share"], "unif_kurt": table["untrained", "uniform"]["excess kurtosis"],
                 "unif_sum_kurt": table["untrained", "uniform"]["sums: excess kurtosis"],
                 "unif_sum_ks": table["untrained", "uniform"]["sums: KS"],
                 "dev_std": c9["deviation std"], "null_share": 1 - widths[-1] / n_in, "null_std": rep_cfg.init_std * math.sqrt(1 - widths[-1] / n_in),
                 "n_in": n_in, "n_bottleneck": widths[-1], "K": K}.items():
    ch.glue(key, val)

# %% [markdown]
# ## C10: Lyapunov's ratio for the first layer
#
# Now the terms of the theorem, made concrete. For unit $j$ of the first (non-invertible) layer
# and input pixel $i$, $X_i = W_{ji}\, a_{g,i}$, a random variable through the random start; its
# moments are estimated over the $K$ representations of the untrained model
# ($\mathbb E|X_i - \mu_i|^3 = |W_{ji}|^3\, \mathbb E|a_{g,i} - \bar a_{g,i}|^3$ and
# $\sigma_i^2 = W_{ji}^2 \operatorname{Var} a_{g,i}$). The pixels enter the sum in one fixed
# random order, so that the first $n$ terms are not all from one corner or one colour;
# $L_n$ is computed for $n$ on a logarithmic grid up to all the pixels and averaged over every
# unit of the layer. The same is done for the trained model, and with the uniform start.
#
# The ratio uses only the marginal moments of the terms. The theorem also assumes the terms
# independent; the last column checks that assumption on the full sum, as the variance of
# $z_j$ over the starts divided by $s_n^2 = \sum_i \sigma_i^2$ (1 for uncorrelated terms). The
# identity $P_N a_g = P_N a_0$ predicts a value below 1: the part of each term that lies in the
# first layer's null space cancels exactly in the sum.

# %%
order = torch.randperm(n_in, generator=torch.Generator().manual_seed(P.seed + 3)).numpy()
ns = G.log_spaced(n_in, 12)
lyap = {}
for (m, s), a_g in runs.items():
    w = first[m].weight.detach().cpu().numpy()[:, order]
    abs3, var = G.weighted_term_moments(w, a_g.flatten(1).cpu().numpy()[:, order])
    ratio = G.lyapunov_ratio(abs3, var, ns).mean(axis=0)
    lyap[m, s] = (ratio, *G.loglog_slope(ns, ratio), G.sum_variance_ratio(w, a_g.flatten(1)[:, order]))
share = {m: G.largest_share(first[m].weight) for m in first}
w_kurt = {m: float(stats.kurtosis(first[m].weight.detach().cpu().numpy().ravel())) for m in first}
pd.DataFrame({f"{m}, {s} start": {"slope": v[1], f"L_n at n={ns[0]}": v[0][0], f"L_n at n={ns[-1]}": v[0][-1],
                                   "Var(z_j) / s_n^2": v[3]}
              for (m, s), v in lyap.items()}).T.round(4)

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
for (m, s), color, marker in ((("untrained", "gaussian"), "tab:blue", "o"), (("trained", "gaussian"), "tab:red", "x"),
                              (("untrained", "uniform"), "tab:green", "s")):
    ratio, slope, icpt, _ = lyap[m, s]
    ax1.plot(ns, ratio, marker, color=color, ms=5, mfc="none", label=f"{m}, {s} start: slope {slope:.2f}")
    ax1.plot(ns, np.exp(icpt) * ns ** slope, "-", color=color, lw=0.9)
ref = lyap["untrained", "gaussian"]
ax1.plot(ns, ref[0][0] * (ns / ns[0]) ** -0.5, "k:", lw=1.2, label="slope -1/2")
ax1.set_xscale("log")
ax1.set_yscale("log")
ax1.set_xlabel("number of summed terms n")
ax1.set_ylabel("Lyapunov ratio L_n (mean over units)")
ax1.legend(fontsize=8)
bins = np.linspace(-5, 5, 61)
for m, color in (("untrained", "tab:blue"), ("trained", "tab:red")):
    w = first[m].weight.detach().cpu().numpy()
    wz = (w / np.sqrt((w ** 2).mean(axis=1, keepdims=True))).ravel()
    ax2.hist(wz, bins=bins, density=True, histtype="step", lw=1.4, color=color,
             label=f"{m}: excess kurtosis {w_kurt[m]:.2f}")
ax2.set_yscale("log")
ax2.set_xlabel("first-layer weight / RMS of its unit's weights")
ax2.set_ylabel("density (log scale)")
ax2.legend(fontsize=8)
fig.tight_layout()
ch.figure(fig, "lyapunov_ratio");

# %%
c10_value = lyap["untrained", "gaussian"][1]
ch.record("C10", c10_value, C10_THRESHOLD,
          measure="log-log slope of the Lyapunov ratio (delta = 1) of X_i = W_ji a_g,i over n, mean over the "
                  "first layer's units, untrained MLP", figure="lyapunov_ratio",
          details={"ns": ns.tolist(), "ratio": lyap["untrained", "gaussian"][0].tolist(),
                   "slope_trained": lyap["trained", "gaussian"][1], "slope_uniform": lyap["untrained", "uniform"][1],
                   "sum_variance_ratio": lyap["untrained", "gaussian"][3],
                   "sum_variance_ratio_trained": lyap["trained", "gaussian"][3],
                   "largest_share_untrained": share["untrained"], "largest_share_trained": share["trained"]})
ch.glue("c10_verdict", "holds" if ch.ledger.records["C10"]["verdict"] else "does not hold")
for key, val in {"c10_slope": c10_value, "c10_slope_trained": lyap["trained", "gaussian"][1],
                 "c10_slope_uniform": lyap["untrained", "uniform"][1], "share_untrained": share["untrained"],
                 "share_trained": share["trained"], "wkurt_untrained": w_kurt["untrained"],
                 "wkurt_trained": w_kurt["trained"], "c10_first": float(lyap["untrained", "gaussian"][0][0]),
                 "c10_last": float(lyap["untrained", "gaussian"][0][-1]), "n_first": int(ns[0]),
                 "var_ratio": lyap["untrained", "gaussian"][3], "var_ratio_trained": lyap["trained", "gaussian"][3]}.items():
    ch.glue(key, val)

# %% [markdown]
# ## C11: the noise after training
#
# The same measurement on the trained model, from the same starts.

# %%
fig = hist_qq([("untrained", "gaussian"), ("trained", "gaussian"), ("trained", "uniform")],
              "Representation noise before and after training")
ch.figure(fig, "noise_trained_vs_untrained");

# %%
ks_init, ks_trained = table["untrained", "gaussian"]["KS"], table["trained", "gaussian"]["KS"]
c11_value = ks_trained / max(ks_init, 1e-12)
c11_verdict = c11_value > C11_RATIO and ks_trained > C11_FLOOR_FACTOR * ks_floor
ch.record("C11", c11_value, f"{C11_THRESHOLD} and KS(trained) > {C11_FLOOR_FACTOR:g} x KS floor", c11_verdict,
          measure="KS distance to N(0,1) of the pooled deviations, trained / untrained MLP, Gaussian start",
          figure="noise_trained_vs_untrained",
          details={"ks_trained": ks_trained, "ks_untrained": ks_init, "ks_floor": ks_floor,
                   "skew_trained": table["trained", "gaussian"]["skew"],
                   "excess_kurtosis_trained": table["trained", "gaussian"]["excess kurtosis"],
                   "largest_weight_share_untrained": share["untrained"],
                   "largest_weight_share_trained": share["trained"],
                   "weight_excess_kurtosis_untrained": w_kurt["untrained"],
                   "weight_excess_kurtosis_trained": w_kurt["trained"],
                   "recon_trained": recon["trained"], "training_steps": trained.steps})
k_before, k_after = table["untrained", "uniform"]["excess kurtosis"], table["trained", "uniform"]["excess kurtosis"]
if abs(k_after) < abs(k_before) - 0.1:
    mix_reading = "closer to Gaussian than before training"
elif abs(k_after) > abs(k_before) + 0.1:
    mix_reading = "further from Gaussian than before training"
else:
    mix_reading = "about as far from Gaussian as before training"
ch.glue("mix_reading", mix_reading)
for key, val in {"c11_value": c11_value, "ks_trained": ks_trained, "ks_init": ks_init, "ks_floor2": 2 * ks_floor,
                 "c11_verdict": "holds" if c11_verdict else "does not hold",
                 "kurt_trained": table["trained", "gaussian"]["excess kurtosis"],
                 "skew_trained": table["trained", "gaussian"]["skew"],
                 "own_share_trained": table["trained", "gaussian"]["own-start share"],
                 "unif_kurt_trained": table["trained", "uniform"]["excess kurtosis"],
                 "recon_trained": recon["trained"], "train_steps": trained.steps}.items():
    ch.glue(key, val)
pd.DataFrame(ch.ledger.records.values())[["id", "value", "threshold", "verdict", "measure"]]

# %% [markdown]
# ## What the numbers say
#
# - **C9** {glue:text}`c9_verdict`. At initialisation the pooled deviations of {glue:text}`K`
#   representations of one target have skew {glue:text}`c9_skew:.3f` and excess kurtosis
#   {glue:text}`c9_kurt:.3f` (thresholds 0.2 and 0.5 in absolute value); their KS distance to
#   the normal law is {glue:text}`c9_ks:.4f`, against a floor of {glue:text}`ks_floor:.4f` for a
#   truly Gaussian array of the same shape, and their Shapiro-Wilk $W$ is
#   {glue:text}`c9_w:.4f`.
# - **Where that shape comes from.** The deviations have a standard deviation of
#   {glue:text}`dev_std:.4f`, where the linear picture predicts
#   $0.05\sqrt{1 - m/n} =$ {glue:text}`null_std:.4f` for a bottleneck of $m =$
#   {glue:text}`n_bottleneck` numbers and $n =$ {glue:text}`n_in` pixels; each pixel's own
#   starting value explains a share {glue:text}`own_share:.2f` of its spread (linear picture:
#   $1 - m/n =$ {glue:text}`null_share:.2f`). From a uniform start with the same mean and
#   spread, the pooled deviations have excess kurtosis
#   {glue:text}`unif_kurt:.2f` (the start itself: $-1.2$), {glue:text}`inherit_reading`. The
#   first layer's pre-activations, the sums the theorem speaks of, have from that uniform start
#   excess kurtosis {glue:text}`unif_sum_kurt:.2f` and KS distance {glue:text}`unif_sum_ks:.4f`:
#   they {glue:text}`sum_reading`.
# - **C10** {glue:text}`c10_verdict`. The mean Lyapunov ratio goes from {glue:text}`c10_first:.3f`
#   at $n =$ {glue:text}`n_first` to {glue:text}`c10_last:.4f` over all pixels, a log-log slope of
#   {glue:text}`c10_slope:.3f` (threshold: below $-0.35$; $-1/2$ expected for comparable terms).
#   After training the slope is {glue:text}`c10_slope_trained:.3f`, and from the uniform start
#   {glue:text}`c10_slope_uniform:.3f`. The terms are not independent: over all pixels the
#   variance of the sum is {glue:text}`var_ratio:.2f` times $s_n^2$ before training and
#   {glue:text}`var_ratio_trained:.2f` times after (1 for independent terms). The largest single
#   weight of a first-layer unit holds on average a share {glue:text}`share_untrained:.4f` of the
#   unit's squared weights before training and {glue:text}`share_trained:.4f` after (one weight in
#   {glue:text}`n_in` would hold all of it at 1); the excess kurtosis of the weights goes
#   from {glue:text}`wkurt_untrained:.2f` (the uniform initialisation) to
#   {glue:text}`wkurt_trained:.2f`.
# - **C11** {glue:text}`c11_verdict`. After {glue:text}`train_steps` training steps (held-out
#   reconstruction error {glue:text}`recon_trained:.3f`) the KS distance is
#   {glue:text}`ks_trained:.4f` against {glue:text}`ks_init:.4f` before training, a ratio of
#   {glue:text}`c11_value:.2f` (threshold: above 1.5, with the trained distance above twice the
#   floor, {glue:text}`ks_floor2:.4f`); skew {glue:text}`skew_trained:.3f`, excess kurtosis
#   {glue:text}`kurt_trained:.3f`. From the uniform start the trained model's deviations have
#   excess kurtosis {glue:text}`unif_kurt_trained:.2f`, {glue:text}`mix_reading`, and each
#   pixel's own start explains a share {glue:text}`own_share_trained:.2f` of its spread, against
#   {glue:text}`own_share:.2f` before training.
#
# How to read this. The identity $P_N a_g = P_N a_0$ of the first section says that along the
# directions a layer cannot see, a representation keeps its start. Wherever those directions
# hold most of each pixel's spread (the own-start share), the noise of a representation has the
# shape of the starting noise, before and after training, and a Gaussian start gives Gaussian
# noise without any help from the central limit theorem. The theorem, and Lyapunov's ratio that
# underwrites it, apply to the sums a layer forms from its inputs; there they need only terms of
# comparable size, not identical weights. The essay's C11 rests on training making the weights
# unlike each other; what the condition needs is only that no few terms dominate, and the weight
# shares and the slope after training measure that directly. The uniform-start control shows the
# other thing training changes: how much of each pixel's start survives, and so how far the
# representation noise keeps the start's shape. At the `paper` profile the image, the layers and
# the training are larger; the inherited part of the noise follows from the null-space identity
# alone and should not depend on scale, while the mixing after training may.
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
