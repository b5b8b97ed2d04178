"""Where the loss comes from, and where training spends it (the "Where the loss comes from" page; what it
shows, per control, is in `views.py`).

Everything is written against log-SNR, lambda = log(alpha_bar / (1 - alpha_bar)) = -2 log sigma (Kingma et al.
2021), the coordinate in which schedules, targets and weightings can be compared (Kingma and Gao 2023):

- `elbo_weights`: the variational bound of Ho et al. (2020, eq. 5) is a sum of KL terms; written with eps, term
  t is w_t E||eps - eps_hat||^2 with w_t = beta_t / (2 alpha_t (1 - alpha_bar_{t-1})) = (SNR_{t-1} / SNR_t - 1) / 2
  (eq. 12 with sigma_t^2 the posterior variance), and w_1 = 1 / (2 alpha_1) from the decoder term.
- `implied_weight`: regressing x0, v or the score instead of eps is the eps loss times a weight of lambda alone.
- `levels`: where a training run draws its steps: uniformly (the schedule is then the training distribution
  over lambda), in proportion to the ELBO weights, or uniformly with the lambda of every draw shifted by `shift`.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from ... import datasets, metrics, samplers, schedules
from ...denoisers import Denoiser, MixtureDenoiser
from ...mixtures import GaussianMixture

TARGETS = ("eps", "x0", "v")  # the prediction targets a network here can be trained on (models.TARGETS)
IMPLIED = (*TARGETS, "score")  # and the score, whose weight the page plots too
ELBO = "elbo"  # the noise-level draw in proportion to the ELBO weights; a float is a log-SNR shift


def log_snr(schedule: schedules.Schedule) -> np.ndarray:
    """lambda_t = log SNR_t = log(alpha_bar_t / (1 - alpha_bar_t)) of every step, float64, decreasing; (T,)."""
    ab = schedule.alpha_bar.double()
    return (ab.log() - (-ab).log1p()).numpy()


def elbo_weights(schedule: schedules.Schedule) -> np.ndarray:
    """The weight of E||eps - eps_hat||^2 in each step's term of the variational bound (per coordinate); (T,).

    Step t >= 2: KL(q(x_{t-1} | x_t, x0) || p(x_{t-1} | x_t)) between Gaussians of the same variance
    beta~_t = (1 - alpha_bar_{t-1}) beta_t / (1 - alpha_bar_t) is ||mu~ - mu||^2 / (2 beta~_t), and with both means
    written through eps that is beta_t / (2 alpha_t (1 - alpha_bar_{t-1})) ||eps - eps_hat||^2. Step 1: the decoder's
    -log N(x0; mu, beta_1) contributes ||eps - eps_hat||^2 / (2 alpha_1) beyond its constant.
    """
    betas = schedule.betas.double()
    alphas = 1 - betas
    ab = torch.cumprod(alphas, 0)
    ab_prev = torch.cat([torch.ones(1, dtype=torch.float64), ab[:-1]])
    w = betas / (2 * alphas * (1 - ab_prev).clamp_min(1e-300))
    w[0] = 1 / (2 * alphas[0])
    return w.numpy()


def implied_weight(target: str, lam) -> np.ndarray:
    """The weight on ||eps - eps_hat||^2 that the squared error of `target` amounts to at log-SNR lambda.

    With x_t = alpha x0 + s eps (alpha^2 = sigmoid(lambda), s^2 = sigmoid(-lambda)) and x0_hat, v_hat, score_hat
    all made from the same eps_hat: x0 - x0_hat = -(s / alpha)(eps - eps_hat), so e^-lambda; v - v_hat =
    (eps - eps_hat) / alpha, so 1 + e^-lambda; the score -eps / s, so 1 / s^2 = 1 + e^lambda.
    """
    lam = np.asarray(lam, dtype=np.float64)
    if target == "eps":
        return np.ones_like(lam)
    if target == "x0":
        return np.exp(-lam)
    if target == "v":
        return 1 + np.exp(-lam)
    if target == "score":
        return 1 + np.exp(lam)
    raise ValueError(f"unknown target {target!r}; valid: {', '.join(IMPLIED)}")


def _slope(lam: np.ndarray) -> np.ndarray:
    """|d lambda / d t| per step (central differences, one-sided at the ends); (T,)."""
    return np.abs(np.gradient(lam))


def density_over_log_snr(schedule: schedules.Schedule, probs: np.ndarray) -> np.ndarray:
    """The density per unit lambda at each step's lambda of a draw of steps with probabilities `probs`; (T,)."""
    return np.asarray(probs, dtype=np.float64) / _slope(log_snr(schedule))


def levels(schedule: schedules.Schedule, noise) -> np.ndarray:
    """Probabilities over the T steps of a training run's draw of noise levels; (T,), summing to 1.

    noise = 0: uniform over the steps. ELBO: in proportion to `elbo_weights`. A float s: the uniform draw's
    density over lambda moved by s (toward less noise for s > 0), p_s(lambda) = p_0(lambda - s), read at the
    schedule's own steps and renormalised, so mass shifted past the schedule's ends is dropped.
    """
    T = schedule.T
    if isinstance(noise, str):
        if noise != ELBO:
            raise ValueError(f"unknown noise-level draw {noise!r}: give {ELBO!r} or a log-SNR shift")
        w = elbo_weights(schedule)
        return w / w.sum()
    shift = float(noise)
    if not math.isfinite(shift):
        raise ValueError("the log-SNR shift must be finite")
    if shift == 0:
        return np.full(T, 1 / T)
    lam = log_snr(schedule)
    p0 = 1 / (T * _slope(lam))  # density over lambda of the uniform draw, at each step's lambda
    order = np.argsort(lam)  # np.interp needs increasing abscissae
    moved = np.interp(lam - shift, lam[order], p0[order], left=0.0, right=0.0)
    probs = moved * _slope(lam)
    if probs.sum() <= 0:
        raise ValueError(f"a shift of {shift:g} moves every noise level off the schedule")
    return probs / probs.sum()


def effective_weight(schedule: schedules.Schedule, probs: np.ndarray, target: str) -> np.ndarray:
    """The weight the training loss puts on each lambda, per unit lambda, as a multiple of eps-MSE: the draw's
    density times the target's implied weight, scaled to integrate to 1 over lambda; (T,)."""
    lam = log_snr(schedule)
    w = density_over_log_snr(schedule, probs) * implied_weight(target, lam)
    return w / float(np.sum(w * _slope(lam)))


def share_below(schedule: schedules.Schedule, probs: np.ndarray, lam_max: float) -> float:
    """The share of a draw's noise levels with lambda below `lam_max` (noisier than SNR = e^lam_max)."""
    return float(np.sum(np.asarray(probs)[log_snr(schedule) < lam_max]))


# ---------------------------------------------------------------- what a trained network gets right, by noise level

COARSE_SCALE = 0.5  # kernel width of the coarse-shape measure, canonical units (the dino spans about 3.4)
CURVE_LAMBDAS = np.linspace(-8.0, 8.0, 17)  # the log-SNRs at which a network's x0_hat is checked
CURVE_POINTS = 500
SAMPLES, SAMPLE_STEPS = 1000, 50  # DDPM samples of each network, strided steps


def dino_mixture() -> GaussianMixture:
    """The distribution the dino networks are trained on: the 142 points, each with the training jitter."""
    pts = datasets.DINO_POINTS
    return GaussianMixture(pts, torch.full((len(pts),), datasets.DINO_JITTER), torch.ones(len(pts)))


def denoising_error(den: Denoiser, exact: Denoiser, data: GaussianMixture, lambdas=CURVE_LAMBDAS,
                    n: int = CURVE_POINTS, seed: int = 0) -> np.ndarray:
    """Mean squared distance E||D(x; sigma) - D*(x; sigma)||^2 between a denoiser's x0_hat and the exact posterior
    mean D*, over x = x0 + sigma eps with x0 from `data`, at each log-SNR (sigma = e^(-lambda / 2)); the same x for
    every denoiser given the same seed. (len(lambdas),)."""
    g = torch.Generator().manual_seed(seed)
    x0 = data.sample(n, g).double()
    out = []
    for lam in np.asarray(lambdas, dtype=float):
        sigma = math.exp(-lam / 2)
        x = x0 + sigma * torch.randn(x0.shape, generator=g, dtype=torch.float64)
        out.append(float((den(x, sigma).double() - exact(x, sigma).double()).pow(2).sum(1).mean()))
    return np.array(out)


def mmd_to_mixture(samples: torch.Tensor, mixture: GaussianMixture, scale: float = COARSE_SCALE) -> float:
    """Squared maximum mean discrepancy between samples and a mixture of isotropic Gaussians, Gaussian kernel
    k(x, y) = exp(-|x - y|^2 / (2 scale^2)) (Gretton et al. 2012): unbiased over the samples, exact for the mixture.

    In Fourier terms it is the squared difference of the two characteristic functions weighted by a Gaussian of
    width 1 / scale in frequency: a low-pass view that sees the coarse shape and weighs down what is finer than
    about `scale` (a wavelength of 2 scale by e^-4.9).
    Convolving the kernel with component k's Gaussian gives (scale^2 / v)^(d/2) exp(-|x - m_k|^2 / (2 v)),
    v = scale^2 + s_k^2 (and s_j^2 + s_k^2 between two components).
    """
    x = samples[torch.isfinite(samples).all(1)].double()
    n, d = x.shape
    if n < 2:
        return float("inf")
    ell2 = scale**2
    k_xx = torch.exp(-torch.cdist(x, x).pow(2) / (2 * ell2))
    within = (k_xx.sum() - k_xx.diagonal().sum()) / (n * (n - 1))
    m, var, w = mixture.means.double(), mixture.stds.double().pow(2), mixture.weights.double()
    v1 = ell2 + var[None, :]  # (1, K)
    cross = ((ell2 / v1) ** (d / 2) * torch.exp(-torch.cdist(x, m).pow(2) / (2 * v1))) @ w  # (n,)
    v2 = ell2 + var[:, None] + var[None, :]  # (K, K)
    between = w @ ((ell2 / v2) ** (d / 2) * torch.exp(-torch.cdist(m, m).pow(2) / (2 * v2))) @ w
    return float(within - 2 * cross.mean() + between)


def coarse_and_detail(samples: torch.Tensor) -> tuple[float, float]:
    """(coarse, detail) of dino samples: the kernel discrepancy at COARSE_SCALE to the training distribution
    (`mmd_to_mixture`), and s2d, the mean distance from each sample to its nearest of the 142 points, which only
    fine detail moves (diverged samples count as infinitely far)."""
    s = samples[torch.isfinite(samples).all(1)]
    if len(s) < len(samples) or len(s) < 2:
        return float("inf"), float("inf")
    return mmd_to_mixture(s, dino_mixture()), float(metrics.nearest_distances(s.float(), datasets.DINO_POINTS).mean())


@functools.lru_cache(maxsize=2)
def fresh_floor(n: int = SAMPLES, draws: int = 8) -> dict:
    """What fresh draws of the training distribution score on (coarse, detail) at n points: mean and std of each."""
    scores = np.array([coarse_and_detail(datasets.load("dino", n, seed=60_000 + k)) for k in range(draws)])
    return {"coarse": (float(scores[:, 0].mean()), float(scores[:, 0].std(ddof=1))),
            "detail": (float(scores[:, 1].mean()), float(scores[:, 1].std(ddof=1)))}


def measure(den: Denoiser, exact: Denoiser, data: GaussianMixture, seed: int = 0) -> dict:
    """A dino network's samples (DDPM, SAMPLE_STEPS strided steps), their coarse and detail numbers, and its
    x0_hat error at each of CURVE_LAMBDAS."""
    return {**judged_samples(den, seed), "error": denoising_error(den, exact, data, seed=seed)}


def judged_samples(den: Denoiser, seed: int = 0) -> dict:
    """SAMPLES samples of a dino network (DDPM, SAMPLE_STEPS strided steps) and their coarse and detail numbers."""
    x = samplers.sample(den, SAMPLES, schedules.grid(den.schedule, SAMPLE_STEPS), sampler="ddpm", seed=seed)
    coarse, detail = coarse_and_detail(x)
    return {"samples": x.float().numpy(), "coarse": coarse, "detail": detail}


def measured(den: Denoiser, seed: int = 0) -> dict:
    """`measure` against the dino's own exact denoiser: what a dino network of this page is judged by."""
    data = dino_mixture()
    return measure(den, MixtureDenoiser(data), data, seed)
