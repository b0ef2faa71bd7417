"""The shared evaluation step (aelib.evaluation), the train/eval-mode context (aelib.modes) and the
shared plots (aelib.figures: histogram with Q-Q plot, per-seed dots, SW by pyramid level)."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from aelib import evaluation, figures
from aelib.modes import in_mode
from aelib.representation import RepresentationConfig, errors, represent, represent_tracked, start_for

matplotlib.use("Agg")


def _layer():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(8, 3, 1))


def test_descent_matches_the_steps_it_stands_for():
    layer, a = _layer(), torch.rand(3, 3, 8, 8)
    cfg = RepresentationConfig(steps=12, seed=4)
    out = evaluation.descent("layer", layer, a, cfg, seed=1)
    a_g, losses = represent(layer, a, cfg, record_every=1)
    assert torch.equal(out["a_g"], a_g) and out["losses"] == losses and torch.equal(out["a0"], start_for(a, cfg))
    assert out["e"] == errors(a_g, a) and out["e0"] == errors(out["a0"], a) and "snaps" not in out
    assert [g.gate for g in out["gates"]] == ["descent moved", "descent converged"]
    target = torch.rand_like(a)
    tracked = evaluation.descent("layer", layer, a, cfg, seed=1, target=target, at=(0, 6))
    a_t, losses_t, snaps = represent_tracked(layer, a, cfg, (0, 6))
    assert torch.equal(tracked["a_g"], a_t) and tracked["losses"] == losses_t and sorted(tracked["snaps"]) == [0, 6]
    assert tracked["e"] == errors(a_t, target)


def test_in_mode_switches_and_restores_even_after_an_error():
    m = torch.nn.BatchNorm2d(3).eval()
    with in_mode(m, True) as inside:
        assert inside is m and m.training
    assert not m.training
    m.train()
    with pytest.raises(RuntimeError):
        with in_mode(m, False):
            assert not m.training
            raise RuntimeError("boom")
    assert m.training


def test_shared_plots_draw_what_they_are_given():
    g = np.random.default_rng(0)
    samples = {"a": g.standard_normal(500), "b": g.uniform(-2, 2, 500)}
    fig = figures.hist_qq(samples, "t", {"b": dict(color="red", ls="--")})
    ax1, ax2 = fig.axes
    assert len(ax2.lines) == 3 and ax2.lines[1].get_linestyle() == "--" and ax1.get_yscale() == "log"
    plt.close(fig)
    fig, ax = plt.subplots()
    figures.seed_dots(ax, {"x": [1.0, 2.0, 3.0], "y": [0.5]}, "SW", {"floor": (0.2, dict(ls=":"))})
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "y"]
    assert [p.get_width() for p in ax.patches] == [2.0, 0.5]                  # the bars sit at the medians
    plt.close(fig)
    fig, ax = plt.subplots()
    figures.sw_by_level(ax, {"s": [[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]]}, {"s": dict(marker="o")})
    assert [t.get_text() for t in ax.get_xticklabels()] == ["finest", "band 1", "coarsest"]
    plt.close(fig)
