"""Discrete noise schedules: alpha_bar, sigma and SNR over the steps t = 1..T.

The forward process is x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) eps (Ho et al.
2020, eq. 4). Arrays are indexed by t - 1, so index 0 is the first, least noisy step.

- linear: betas linear from 1e-4 to 0.02 at T = 1000 (Ho et al. 2020), rescaled by
  1000 / T for other T so that x_T stays pure noise (alpha_bar_T < 1e-3).
- cosine: alpha_bar from the squared cosine of Nichol and Dhariwal (2021), eq. 17.
- gentle: linear betas from 1e-4 chosen to end at alpha_bar_T = 0.6, the fix that makes the
  T-Rex (dino) toy model work: with 50 steps this is Ho's 1e-4..0.02 range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

GENTLE_ALPHA_BAR_T = 0.6


@dataclass(frozen=True)
class Schedule:
    """A discrete schedule; every tensor has shape (T,) and index t - 1."""

    name: str
    betas: torch.Tensor

    @property
    def T(self) -> int:
        """Number of steps."""
        return len(self.betas)

    @property
    def alphas(self) -> torch.Tensor:
        return 1.0 - self.betas

    @property
    def alpha_bar(self) -> torch.Tensor:
        """alpha_bar_t = prod_{s <= t} (1 - beta_s)."""
        return torch.cumprod(self.alphas.double(), 0).float()

    @property
    def sigma(self) -> torch.Tensor:
        """Std of the noise in x_t: sqrt(1 - alpha_bar_t)."""
        return (1.0 - self.alpha_bar).sqrt()

    @property
    def snr(self) -> torch.Tensor:
        """Signal-to-noise ratio alpha_bar_t / (1 - alpha_bar_t) (Kingma et al. 2021)."""
        ab = self.alpha_bar
        return ab / (1.0 - ab)

    @property
    def sigma_ve(self) -> torch.Tensor:
        """Noise level in the x_t / sqrt(alpha_bar_t) frame: 1 / sqrt(SNR) (Karras et al. 2022)."""
        return self.snr.rsqrt()

    def alpha_bar_prev(self) -> torch.Tensor:
        """alpha_bar_{t-1}, with alpha_bar_0 = 1; shape (T,)."""
        return torch.cat([torch.ones(1), self.alpha_bar[:-1]])


def q_sample(x0: torch.Tensor, eps: torch.Tensor, alpha_bar) -> torch.Tensor:
    """The forward process x_t = sqrt(alpha_bar) x0 + sqrt(1 - alpha_bar) eps, Ho et al. 2020 eq. 4.

    alpha_bar is a scalar or one value per row (shape (N,) or (N, 1)).
    """
    ab = torch.as_tensor(alpha_bar, dtype=x0.dtype)
    if ab.ndim == 1:
        ab = ab[:, None]
    return ab.sqrt() * x0 + (1 - ab).sqrt() * eps


def linear(T: int = 1000) -> Schedule:
    """Linear betas, Ho et al. (2020): 1e-4 to 0.02 at T = 1000, scaled by 1000 / T."""
    scale = 1000.0 / T
    return Schedule("linear", torch.linspace(1e-4 * scale, 0.02 * scale, T).clamp(max=0.999))


def cosine(T: int = 1000, s: float = 0.008) -> Schedule:
    """Cosine schedule, Nichol and Dhariwal (2021) eq. 17, betas clipped at 0.999."""
    steps = torch.arange(T + 1, dtype=torch.float64) / T
    f = torch.cos((steps + s) / (1 + s) * math.pi / 2).pow(2)
    ab = f / f[0]
    betas = (1 - ab[1:] / ab[:-1]).clamp(max=0.999)
    return Schedule("cosine", betas.float())


def gentle(T: int = 50, alpha_bar_T: float = GENTLE_ALPHA_BAR_T) -> Schedule:
    """Linear betas from 1e-4, the last one found by bisection so that prod(1 - beta) = alpha_bar_T."""
    lo, hi = 1e-4, 1.0
    for _ in range(100):  # bisection on the last beta; alpha_bar_T falls as it grows
        mid = 0.5 * (lo + hi)
        ab_T = torch.prod(1 - torch.linspace(1e-4, mid, T, dtype=torch.float64))
        lo, hi = (mid, hi) if ab_T > alpha_bar_T else (lo, mid)
    return Schedule("gentle", torch.linspace(1e-4, 0.5 * (lo + hi), T, dtype=torch.float64).float())


_BUILDERS = {"linear": linear, "cosine": cosine, "gentle": gentle}
NAMES = tuple(_BUILDERS)


def make(name: str, T: int) -> Schedule:
    """The schedule called `name` with T steps; unknown names raise ValueError."""
    if name not in _BUILDERS:
        raise ValueError(f"unknown schedule {name!r}; valid names: {', '.join(NAMES)}")
    if not isinstance(T, int) or T < 2:
        raise ValueError(f"T must be an integer of at least 2, got {T!r}")
    return _BUILDERS[name](T)
