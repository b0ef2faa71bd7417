"""FLOP counts of training and sampling (aelib.compute, chapter 05)."""

import pytest
import torch
import torch.nn as nn

from aelib import compute, models


def test_forward_flops_known_answer_for_a_convolution():
    # 2 FLOPs per multiply-add: 2 * (8 * 8 output pixels) * (3 output maps) * (3 * 3 * 3 weights each)
    conv = nn.Conv2d(3, 3, 3, padding=1, bias=False)
    cost = compute.step_cost(conv, (3, 8, 8), batch_size=4)
    assert cost.forward_per_image == 2 * 8 * 8 * 3 * 27
    assert cost.batch_size == 4
    # backward: gradients of the weights only (the input needs none): as many FLOPs as forward
    assert cost.train_step == pytest.approx(2 * 4 * cost.forward_per_image)


def test_budgets_scale_linearly():
    cost = compute.StepCost(forward_per_image=10.0, train_step=100.0, batch_size=4)
    assert cost.training(30) == 3000.0
    assert cost.sampling(evaluations=31, n_images=2) == 620.0


def test_wider_unet_costs_about_four_times_and_state_is_untouched():
    torch.manual_seed(0)
    base = models.build(models.ModelConfig.of("unet", image_size=16, base=4, depth=2)).eval()
    wide = models.build(models.ModelConfig.of("unet", image_size=16, base=8, depth=2))
    before = {k: v.clone() for k, v in base.state_dict().items()}
    c_base = compute.step_cost(base, (3, 16, 16), batch_size=2)
    c_wide = compute.step_cost(wide, (3, 16, 16), batch_size=2)
    assert 3.0 < c_wide.train_step / c_base.train_step < 4.2     # channels^2, less the 3-channel ends
    assert c_base.train_step > 2 * 2 * c_base.forward_per_image   # backward costs more than forward
    assert base.training is False and all(p.grad is None for p in base.parameters())
    for k, v in base.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_bad_inputs():
    with pytest.raises(ValueError, match="shape"):
        compute.step_cost(nn.Conv2d(3, 3, 1), (8, 8), batch_size=2)
    with pytest.raises(ValueError, match="batch_size"):
        compute.step_cost(nn.Conv2d(3, 3, 1), (3, 8, 8), batch_size=0)
