"""The essay's corruption and its zero-mean control.

The essay's text speaks of *adding* Gaussian noise N(mu=0.7, sigma=0.2); its author's code
*mixes* instead: ``a_hat = alpha * a + (1 - alpha) * n`` with ``n ~ N(0.7, 0.2)`` elementwise.
We follow the code: alpha = 1 is the clean image, alpha = 0 pure noise. (The essay's prose
names mu and sigma in swapped order; the code uses mean 0.7 and standard deviation 0.2.)

Mixing toward N(0.7, 0.2) is for natural images mostly a loss of contrast plus a shift of the
mean toward 0.7. :func:`matched_gaussian` gives zero-mean white noise of the same per-image
RMS, the control that tells noise removal from contrast restoration.
"""

from __future__ import annotations

import torch

MU = 0.7      # mean of the essay's noise (code)
SIGMA = 0.2   # standard deviation of the essay's noise (code)


def noise_like(a: torch.Tensor, mu: float = MU, sigma: float = SIGMA,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """Elementwise N(mu, sigma) in the shape of ``a``."""
    n = torch.randn(a.shape, generator=generator, device=a.device, dtype=a.dtype)
    return n.mul_(sigma).add_(mu)


def corrupt(a: torch.Tensor, alpha: float, mu: float = MU, sigma: float = SIGMA,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """``a_hat = alpha * a + (1 - alpha) * N(mu, sigma)`` (the essay's code)."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
    return alpha * a + (1.0 - alpha) * noise_like(a, mu, sigma, generator)


def matched_gaussian(a: torch.Tensor, a_hat: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """``a + z`` with zero-mean white noise ``z`` whose per-image RMS equals that of ``a_hat - a``."""
    dims = tuple(range(1, a.dim()))
    rms = (a_hat - a).pow(2).mean(dim=dims, keepdim=True).sqrt()
    z = torch.randn(a.shape, generator=generator, device=a.device, dtype=a.dtype)
    z = z / z.pow(2).mean(dim=dims, keepdim=True).sqrt()
    return a + rms * z
