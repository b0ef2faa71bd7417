"""The one registry of claims: statement, measure, threshold, control and gates, in one place.

Every claim of the essay (C1-C27) and every extension of the book (X1-X6) is a :class:`Claim`.
Its threshold is a tuple of :class:`Test` conditions on named quantities that a chapter measures
once per seed; the headline number (``value``) is the first test's quantity. Thresholds live here
and nowhere else: the chapters read them from :data:`REGISTRY`, the ledger computes verdicts
from them (:mod:`aelib.verdict`), the first page prints them, and the tests check that no chapter
writes one of its own. The limits of the validity gates (:data:`GATES`) live here too.

A change to a claim's measure or threshold after results exist is an entry of
:data:`CHANGELOG` (date, claim, old, new, why), rendered in the book; a test checks that the
registry's thresholds match the changelog's latest entries.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field

MIN_SEEDS = 3  # a verdict other than 'inconclusive' needs at least this many seeds

_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


class RegistryError(ValueError):
    """An unknown claim, quantity or gate, or a measurement that does not fit its claim."""


@dataclass(frozen=True)
class Test:
    """One condition of a threshold: ``quantity op limit`` (``between`` takes a (low, high) pair)."""
    quantity: str
    op: str
    limit: float | tuple[float, float]
    label: str = ""  # how the quantity is written for a reader, e.g. "min_alpha g(alpha)"

    def __post_init__(self):
        if self.op not in _OPS and self.op != "between":
            raise RegistryError(f"unknown comparison {self.op!r}")

    def passes(self, x: float | None) -> bool | None:
        """True / False, or None when the quantity was not measured (None or NaN)."""
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return None
        if self.op == "between":
            lo, hi = self.limit
            return lo <= x <= hi
        return _OPS[self.op](float(x), float(self.limit))

    def text(self) -> str:
        name = self.label or self.quantity
        if self.op == "between":
            return f"{self.limit[0]:g} <= {name} <= {self.limit[1]:g}"
        return f"{name} {self.op} {self.limit:g}"


@dataclass(frozen=True)
class Claim:
    id: str
    chapter: str                 # the chapter that measures it (file stem)
    statement: str               # our short statement of the essay's claim
    measure: str                 # what is measured, in words
    tests: tuple[Test, ...]      # the threshold: every test must pass on a seed for it to clear
    control: str                 # what the control is; the same tests must fail on it
    gates: tuple[str, ...] = ()  # names of the validity gates (keys of GATES) the verdict rests on

    @property
    def section(self) -> str:
        return self.chapter.split("_", 1)[1].replace("_", " ")

    @property
    def anchor(self) -> str:
        """The label of the claim's own section in its chapter: ``(claim-c1)=``."""
        return f"claim-{self.id.lower()}"

    @property
    def threshold(self) -> str:
        return "; and ".join(t.text() for t in self.tests)

    @property
    def headline(self) -> str:
        return self.tests[0].quantity

    def test(self, quantity: str | None = None) -> Test:
        q = quantity or self.headline
        for t in self.tests:
            if t.quantity == q:
                return t
        raise RegistryError(f"{self.id} has no quantity {q!r}; its tests use {[t.quantity for t in self.tests]}")


@dataclass(frozen=True)
class Gate:
    """A validity check: ``value op limit`` must hold, or the verdict is 'inconclusive'."""
    name: str
    op: str
    limit: float
    means: str

    def passes(self, x: float | None) -> bool:
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return False
        return _OPS[self.op](float(x), float(self.limit))


# The gates' limits (fixed before any run that they judge).
GATES: dict[str, Gate] = {g.name: g for g in (
    Gate("model works", "<", 1.0,
         "held-out clean reconstruction error of the model / that of the mean training image (median over images)"),
    Gate("trained to rule", "<", 0.10,
         "relative fall of the held-out reconstruction error over the last doubling of training steps; "
         "training stops at the first doubling below this, or at the profile's cap (then the gate fails)"),
    Gate("descent moved", ">=", 0.10,
         "|e - e0| / e0: how far the descent's representation error moved from its start value e0"),
    Gate("descent converged", "<", 0.05,
         "relative change of the descent's loss over its last fifth of steps"),
    Gate("beats noise", "<", 1.0,
         "SW(generated, held-out) / SW(pure noise, held-out): the generator's output is nearer the data than noise"),
    Gate("iteration moved", ">=", 0.01,
         "relative distance the iteration moved from its start"),
)}


def _t(q: str, op: str, limit, label: str = "") -> Test:
    return Test(q, op, limit, label)


_MODEL = ("model works", "trained to rule")
_REP = _MODEL + ("descent moved", "descent converged")

REGISTRY: dict[str, Claim] = {c.id: c for c in (
    # --- 01 identity --------------------------------------------------------------------------------
    Claim("C1", "01_identity",
          "An overcomplete fully connected autoencoder trained to copy does not learn the identity.",
          "smallest identity gap g(alpha) over alpha in {0.9, 0.7, 0.5}, FC autoencoder, held-out",
          (_t("value", ">=", 0.5, "min_alpha g"),),
          "the identity map (g = 0)", _MODEL),
    Claim("C2", "01_identity",
          "The same model denoises held-out images: |O(a_hat) - a| < |a_hat - a|.",
          "largest denoise ratio r(alpha) over alpha in {0.9, 0.7, 0.5}, FC autoencoder, held-out",
          (_t("value", "<", 1.0, "max_alpha r"),),
          "the identity map (r = 1)", _MODEL),
    Claim("C3", "01_identity",
          "With encoder-decoder skips kept, a U-Net copies its input far more than without them.",
          "noise gain k of the skip U-Net / that of the no-skip U-Net, alpha = 0.5, held-out",
          (_t("value", ">=", 2.0, "k_skip / k_noskip"),),
          "the no-skip U-Net against a second no-skip U-Net (another seed): ratio near 1", _MODEL),
    # --- 02 denoising -------------------------------------------------------------------------------
    Claim("C4", "02_denoising",
          "Training makes the output layer's input representation far less noisy.",
          "e(trained) / e(untrained), no-skip U-Net output layer",
          (_t("value", "<", 0.5, "e_trained / e_untrained"),),
          "an untrained U-Net against another untrained U-Net (ratio near 1)", _REP),
    Claim("C5", "02_denoising",
          "The no-skip U-Net denoises held-out images from light to heavy corruption.",
          "largest r(alpha) over alpha in {0.9, 0.7, 0.5, 0.3}, no-skip U-Net, held-out",
          (_t("value", "<", 1.0, "max_alpha r"),),
          "the identity map (r = 1)", _MODEL),
    Claim("C6", "02_denoising",
          "From pure noise the no-skip U-Net outputs something image-like.",
          "SW(O(noise), held-out) / SW(noise, held-out)",
          (_t("value", "<", 0.5, "SW ratio"),),
          "the untrained U-Net's output from the same noise", _MODEL),
    Claim("C7", "02_denoising",
          "The representation of a corrupted input is nearer the clean image than the input was.",
          "median |a_g(a_hat) - a| / |a_hat - a|, alpha = 0.5",
          (_t("value", "<", 1.0, "representation ratio"),),
          "the identity map's representation (a_g = a_hat: ratio 1)", _REP),
    Claim("C8", "02_denoising",
          "A U-Net with a narrow MLP bottleneck autoencodes and denoises but represents its input poorly.",
          "e(hidden-MLP U-Net) / e(plain U-Net); reconstruction ratio; r(0.5)",
          (_t("value", ">=", 2.0, "e_hidden / e_plain"), _t("recon_ratio", "<=", 1.5, "recon_hidden / recon_plain"),
           _t("r", "<", 1.0, "r(0.5)")),
          "the plain U-Net against itself (another seed): e ratio near 1", _REP),
    # --- 03 noninvertibility -----------------------------------------------------------------------
    Claim("C9", "03_noninvertibility",
          "At initialisation the representation noise of a non-invertible layer is near Gaussian.",
          "|excess kurtosis| and |skew| of pooled per-pixel deviations of representations from many starts, "
          "untrained MLP",
          (_t("value", "<", 0.5, "|excess kurtosis|"), _t("skew", "<", 0.2, "|skew|")),
          "the same descent from uniform starts (a non-Gaussian start must not pass)", ("descent moved",)),
    Claim("C10", "03_noninvertibility",
          "The Lyapunov ratio (delta = 1) falls toward 0 as more terms are summed.",
          "log-log slope of the Lyapunov ratio against the number of summed terms",
          (_t("value", "<", -0.35, "slope"),),
          "terms with one dominant term (the ratio does not fall)", ()),
    Claim("C11", "03_noninvertibility",
          "After training the representation noise is measurably less Gaussian.",
          "KS distance to a Gaussian, trained / untrained",
          (_t("value", ">", 1.5, "KS_trained / KS_untrained"),),
          "a second untrained MLP against the first (ratio near 1)", ("descent moved",)),
    # --- 04 manifold walk --------------------------------------------------------------------------
    Claim("C12", "04_manifold_walk",
          "The noisy latent walk moves far from its start while staying image-like.",
          "distance from start at the last step / after one step; SW(last frames) / SW(noise)",
          (_t("value", ">=", 2.0, "d_K / d_1"), _t("sw", "<", 0.5, "SW(frames) / SW(noise)")),
          "the walk of an untrained U-Net (not image-like)", _MODEL),
    Claim("C13", "04_manifold_walk",
          "Without noise many inputs still walk: the learned manifold is unstable.",
          "fraction of walkers still moving after K noise-free re-encodings",
          (_t("value", ">=", 0.25, "fraction walking"),),
          "the identity map (a fixed point: nothing walks)", _MODEL),
    Claim("C14", "04_manifold_walk",
          "More training makes fewer inputs walk without noise.",
          "fraction walking after the longer training minus after the shorter",
          (_t("value", "<", 0.0, "change in fraction walking"),),
          "the same model at the same length twice (difference 0)", _MODEL),
    # --- 05 diffusion ------------------------------------------------------------------------------
    Claim("C15", "05_diffusion",
          "Iterated denoise-and-renoise from pure noise gives image-like samples (N = 30, 200).",
          "SW(samples, held-out) / SW(noise, held-out), the largest over N",
          (_t("value", "<", 0.5, "max_N SW ratio"),),
          "the sampler run with the untrained U-Net", _MODEL),
    Claim("C16", "05_diffusion",
          "The hidden-MLP U-Net's samples carry a style of their own.",
          "folded AUC of a texture statistic separating the two models' samples",
          (_t("value", ">=", 0.8, "folded AUC"),),
          "two sample sets of the same model (AUC near 0.5)", _MODEL),
    Claim("C17", "05_diffusion",
          "Twice the feature maps: more detail, less global order; one more level restores order.",
          "conditions met of: SW_fine(wide) < SW_fine(base); SW_coarse(wide) > SW_coarse(base); "
          "SW_coarse(wide+deep) < SW_coarse(wide)",
          (_t("value", ">=", 3, "conditions met"),),
          "the base model against itself (another seed)", _MODEL),
    Claim("C18", "05_diffusion",
          "More compute gives better samples.",
          "SW(samples of the larger budget) / SW(samples of the smaller budget), matched steps",
          (_t("value", "<", 1.0, "SW ratio"),),
          "the smaller budget against itself (another seed): ratio near 1", _MODEL),
    # --- 06 batch norm -----------------------------------------------------------------------------
    Claim("C19", "06_batchnorm",
          "The U-Net denoises better than the fully connected autoencoder.",
          "r(U-Net) / r(FC) at alpha = 0.5, held-out",
          (_t("value", "<", 1.0, "r_unet / r_fc"),),
          "the FC autoencoder against itself (another seed)", _MODEL),
    Claim("C20", "06_batchnorm",
          "Without batch norm the outputs are not noisy but statistically unlike the data.",
          "colour-statistic distance to the data, no BN / BN; high-frequency energy of no-BN outputs / data",
          (_t("value", ">", 1.5, "stat distance ratio"), _t("hf", "<=", 1.5, "HF ratio")),
          "the BN U-Net against itself (another seed)", _MODEL),
    Claim("C21", "06_batchnorm",
          "Batch size 1 (spatial statistics only) denoises about as well as batches of 8-16.",
          "|r(batch 1) - r(batch 8)| / r(batch 8) at alpha = 0.5",
          (_t("value", "<", 0.2, "relative difference"),),
          "the batch-8 model against the identity map", _MODEL),
    Claim("C22", "06_batchnorm",
          "The U-Net represents its input about equally well with or without batch norm.",
          "e(no-BN U-Net) / e(BN U-Net), output layer",
          (_t("value", "between", (0.667, 1.5), "e ratio"),),
          "the BN U-Net against the untrained U-Net", _REP),
    Claim("C23", "06_batchnorm",
          "Batch norm must stay in train mode for synthesis; eval mode breaks it.",
          "SW(eval-mode samples) / SW(train-mode samples); r_eval(0.5) / r_train(0.5)",
          (_t("value", ">", 1.0, "SW ratio"), _t("r_ratio", ">", 1.0, "r_eval / r_train")),
          "the no-BN U-Net in eval vs train mode (identical: ratio 1)", _MODEL),
    # --- 07 attention ------------------------------------------------------------------------------
    Claim("C24", "07_attention",
          "An attention U-Net denoises worse than the plain no-skip U-Net.",
          "r(attention U-Net) / r(no-skip U-Net) at alpha = 0.5",
          (_t("value", ">", 1.0, "r ratio"),),
          "the no-skip U-Net against itself (another seed)", _MODEL),
    Claim("C25", "07_attention",
          "One linear-attention layer between two convolutions copies: near-perfect representation.",
          "e of the single linear-attention model; r(0.5)",
          (_t("value", "<", 0.1, "e"), _t("r", ">", 0.9, "r(0.5)")),
          "the no-skip U-Net (does not copy)", _REP),
    Claim("C26", "07_attention",
          "Dot-product attention there represents the input less accurately than linear attention.",
          "e(dot-product) / e(linear)",
          (_t("value", ">", 1.0, "e ratio"),),
          "the linear model against itself (another seed)", _REP),
    Claim("C27", "07_attention",
          "Dot-product attention alone autoencodes well, represents well, and does not denoise.",
          "e; clean reconstruction error; r(0.5) of the attention-only model",
          (_t("value", "<", 0.1, "e"), _t("recon", "<", 0.1, "recon"), _t("r", ">", 0.9, "r(0.5)")),
          "the no-skip U-Net (denoises)", _REP),
    # --- 08 memorization ---------------------------------------------------------------------------
    Claim("X1", "08_memorization",
          "Trained on one image, neither model becomes the identity.",
          "median correlation of outputs with their inputs, held-out inputs, the less identity-like model",
          (_t("value", "<", 0.9, "corr(output, input)"),),
          "the identity map (correlation 1)", ("trained to rule",)),
    Claim("X2", "08_memorization",
          "Two models on disjoint data generate the same images once N is large.",
          "median correlation between the two models' samples from the same noise, largest N / smallest N",
          (_t("value", ">", 1.0, "similarity ratio"),),
          "the two models' samples from different noise", _MODEL),
    Claim("X3", "08_memorization",
          "The FC identity gap stays large over width x training length.",
          "smallest median g anywhere on the width x steps map",
          (_t("value", ">=", 0.5, "min g"),),
          "the identity map (g = 0)", _MODEL),
    Claim("X4", "08_memorization",
          "Training images are attractors of the trained autoencoder.",
          "median spectral radius of the Jacobian of O at training images",
          (_t("value", "<", 1.0, "spectral radius"),),
          "the untrained U-Net", _MODEL),
    Claim("X5", "08_memorization",
          "The noise-free walk's stopping is the same as falling into an attractor.",
          "agreement rate of 'stopped walking' and 'converged to an attractor' per input",
          (_t("value", ">=", 0.9, "agreement"),),
          "agreement with a shuffled pairing of the two labels", _MODEL + ("iteration moved",)),
    # --- 09 diffusion baseline ---------------------------------------------------------------------
    Claim("X6", "09_diffusion_baseline",
          "The essay's sampler is no worse than a standard diffusion model at matched compute.",
          "SW(essay sampler) / SW(diffusion baseline), largest N",
          (_t("value", "<=", 1.25, "SW ratio"),),
          "the essay's sampler with the untrained U-Net", _MODEL + ("beats noise",)),
)}


@dataclass(frozen=True)
class Change:
    date: str
    claim: str
    old: str
    new: str
    why: str


# Changes of a measure or threshold after results existed. Newest last.
CHANGELOG: list[Change] = [
    Change("2026-11-29", "all", "one seed; verdict holds / does not hold from one value",
           f"at least {MIN_SEEDS} seeds; holds when every seed clears, does not hold when none does, "
           "inconclusive otherwise or when a gate fails or the control clears too",
           "one seed let run noise decide verdicts (C21 was 0.51 on one machine and 0.17 on another)"),
]


def get(claim_id: str) -> Claim:
    try:
        return REGISTRY[claim_id]
    except KeyError:
        raise RegistryError(f"unknown claim id {claim_id!r}") from None


def for_chapter(chapter: str) -> list[Claim]:
    return [c for c in REGISTRY.values() if c.chapter == chapter]


def thresholds_table(chapter: str) -> str:
    """Markdown table of a chapter's claims: value measured, threshold, control, gates."""
    rows = ["| claim | measured as | holds when | control (must not clear) | gates |", "|---|---|---|---|---|"]
    for c in for_chapter(chapter):
        rows.append(f"| {c.id} | {c.measure} | {c.threshold} | {c.control} | {', '.join(c.gates) or 'none'} |")
    return "\n".join(rows)
