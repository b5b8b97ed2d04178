"""The maths of "Where the loss comes from", each against an independent reference: the ELBO weights against the KL
of two Gaussians computed directly, the targets' weights against autograd, the draws against closed forms, the
kernel discrepancy against Monte Carlo, and the three targets reaching the known optimum on a Gaussian."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.distributions import Normal, kl_divergence

from diffusion_core import models, schedules, training
from diffusion_core.denoisers import MixtureDenoiser, NetDenoiser
from diffusion_core.mixtures import GaussianMixture
from diffusion_core.topics.objective import core


@pytest.mark.parametrize("t", [2, 3, 10, 250, 500, 999, 1000])
def test_elbo_weight_is_the_kl_between_the_two_gaussians_per_unit_squared_eps_error(t):
    """Ho et al. eq. 5: L_{t-1} = KL(q(x_{t-1} | x_t, x0) || p(x_{t-1} | x_t)), with q's mean written from x0 and x_t
    (eq. 7) and the model's mean from eps_hat (eq. 11), both with q's variance; the KL is computed by torch."""
    sched = schedules.shipped("linear")
    betas = sched.betas.double()
    alphas = 1 - betas
    ab = torch.cumprod(alphas, 0)
    i = t - 1
    ab_t, ab_prev, beta, alpha = ab[i], ab[i - 1], betas[i], alphas[i]
    g = torch.Generator().manual_seed(t)
    x0, eps = torch.randn(64, 2, generator=g, dtype=torch.float64), torch.randn(64, 2, generator=g, dtype=torch.float64)
    eps_hat = eps + 0.3 * torch.randn(64, 2, generator=g, dtype=torch.float64)
    x_t = ab_t.sqrt() * x0 + (1 - ab_t).sqrt() * eps
    mu_q = ab_prev.sqrt() * beta / (1 - ab_t) * x0 + alpha.sqrt() * (1 - ab_prev) / (1 - ab_t) * x_t
    mu_p = (x_t - beta / (1 - ab_t).sqrt() * eps_hat) / alpha.sqrt()
    std = ((1 - ab_prev) / (1 - ab_t) * beta).sqrt()
    kl = kl_divergence(Normal(mu_q, std), Normal(mu_p, std)).sum(1)
    w = core.elbo_weights(sched)[i]
    torch.testing.assert_close(kl, w * (eps - eps_hat).pow(2).sum(1), rtol=1e-7, atol=1e-12)
    snr = ab / (1 - ab)
    assert w == pytest.approx(0.5 * (float(snr[i - 1] / snr[i]) - 1), rel=1e-9)


def test_elbo_weight_of_the_first_step_is_the_decoder_likelihood():
    """L_0 = -log N(x0; mu(x_1, eps_hat), beta_1): beyond its value at eps_hat = eps it grows by w_1 ||eps - eps_hat||^2."""
    sched = schedules.shipped("linear")
    beta, ab = float(sched.betas[0]), float(sched.betas[0])
    alpha = 1 - beta
    g = torch.Generator().manual_seed(0)
    x0, eps = torch.randn(32, 2, generator=g, dtype=torch.float64), torch.randn(32, 2, generator=g, dtype=torch.float64)
    eps_hat = eps + 0.5 * torch.randn(32, 2, generator=g, dtype=torch.float64)
    x1 = math.sqrt(alpha) * x0 + math.sqrt(ab) * eps

    def nll(e):
        mu = (x1 - beta / math.sqrt(ab) * e) / math.sqrt(alpha)
        return -Normal(mu, math.sqrt(beta)).log_prob(x0).sum(1)

    w1 = core.elbo_weights(sched)[0]
    assert w1 == pytest.approx(1 / (2 * alpha))
    torch.testing.assert_close(nll(eps_hat) - nll(eps), w1 * (eps - eps_hat).pow(2).sum(1), rtol=1e-6, atol=1e-9)


def test_the_bound_weighs_every_unit_of_log_snr_alike():
    """Kingma et al. 2021: in continuous time the ELBO is uniform in lambda; on Ho's 1,000 linear steps a draw in
    proportion to the weights has a density over lambda flat to within the discreteness, away from the ends."""
    sched = schedules.shipped("linear")
    density = core.density_over_log_snr(sched, core.levels(sched, core.ELBO))[10:990]
    assert density.max() / density.min() < 1.15


@pytest.mark.parametrize("target", ["x0", "v", "score"])
@pytest.mark.parametrize("lam", [-6.0, -1.0, 0.0, 2.5, 7.0])
def test_each_targets_weight_is_the_curvature_of_its_loss_in_eps_hat(target, lam):
    """The target's prediction made from eps_hat (x0_hat = (x_t - s eps_hat) / a, v_hat = a eps_hat - s x0_hat,
    score_hat = -eps_hat / s); the Hessian of its squared error in eps_hat, by autograd, is 2 w I."""
    a, s = math.sqrt(1 / (1 + math.exp(-lam))), math.sqrt(1 / (1 + math.exp(lam)))
    x0, eps = torch.tensor([0.7, -1.2], dtype=torch.float64), torch.tensor([0.3, 0.9], dtype=torch.float64)
    x_t = a * x0 + s * eps

    def predict(e):
        x0_hat = (x_t - s * e) / a
        return {"x0": x0_hat, "v": a * e - s * x0_hat, "score": -e / s}[target]

    truth = predict(eps)
    hess = torch.autograd.functional.hessian(lambda e: (truth - predict(e)).pow(2).sum(), eps + 0.1)
    w = float(core.implied_weight(target, lam))
    torch.testing.assert_close(hess, 2 * w * torch.eye(2, dtype=torch.float64), rtol=1e-9, atol=1e-9)
    assert core.implied_weight("eps", lam) == 1.0


def test_v_prediction_on_the_cosine_schedule_weighs_log_snr_as_kingma_and_gao_say():
    """Kingma and Gao 2023: eps-prediction with cosine steps has weighting sech(lambda / 2), v-prediction
    e^(-lambda / 2); the page's effective weights match both in shape to 5% between lambda = -6 and 6."""
    sched = schedules.shipped("cosine")
    lam = core.log_snr(sched)
    mid = (lam > -6) & (lam < 6)
    uniform = core.levels(sched, 0.0)
    for target, closed in (("eps", 1 / np.cosh(lam / 2)), ("v", np.exp(-lam / 2))):
        ratio = core.effective_weight(sched, uniform, target)[mid] / closed[mid]
        assert ratio.max() / ratio.min() < 1.05, target


@pytest.mark.parametrize("shift", [-2.0, -1.0, 1.0, 2.0])
def test_a_shifted_draw_moves_the_mean_log_snr_by_the_shift(shift):
    """A density moved by s has its mean moved by s (the cosine draw loses almost nothing past the ends at |s| <= 2)."""
    sched = schedules.shipped("cosine")
    lam = core.log_snr(sched)
    moved = core.levels(sched, shift)
    assert moved.sum() == pytest.approx(1.0) and (moved >= 0).all()
    assert float(moved @ lam - core.levels(sched, 0.0) @ lam) == pytest.approx(shift, abs=0.1)
    assert (core.share_below(sched, moved, 0.0) < 0.5) == (shift > 0)


def test_draws_refuse_what_they_cannot_do():
    sched = schedules.shipped("cosine")
    np.testing.assert_allclose(core.levels(sched, 0.0), np.full(1000, 1e-3))
    for bad in ("lbo", float("nan")):
        with pytest.raises(ValueError):
            core.levels(sched, bad)
    with pytest.raises(ValueError, match="off the schedule"):
        core.levels(sched, 500.0)
    with pytest.raises(ValueError, match="levels"):
        next(training.train(models.EpsMLP(models.ModelConfig(T=10)), torch.zeros(4, 2), steps=1,
                            levels=torch.ones(9)))


def test_kernel_discrepancy_to_a_mixture_matches_monte_carlo():
    """The closed-form mixture terms against the same estimator with the mixture replaced by 40,000 of its draws."""
    mix = GaussianMixture(torch.tensor([[0.0, 0.0], [1.5, 0.5], [-1.0, 1.0]]), torch.tensor([0.3, 0.1, 0.5]),
                          torch.tensor([0.5, 0.3, 0.2]))
    g = torch.Generator().manual_seed(0)
    samples = 1.1 * mix.sample(400, g) + 0.2
    ref = mix.sample(40_000, g).double()
    x, ell2 = samples.double(), core.COARSE_SCALE**2
    k = lambda a, b: torch.exp(-torch.cdist(a, b).pow(2) / (2 * ell2))
    k_xx = k(x, x)
    within = (k_xx.sum() - k_xx.diagonal().sum()) / (len(x) * (len(x) - 1))
    cross = k(x, ref).mean()
    between = torch.stack([k(ref[i:i + 4000], ref[20_000 + i:24_000 + i]).mean() for i in range(0, 20_000, 4000)]).mean()
    monte_carlo = float(within - 2 * cross + between)
    assert core.mmd_to_mixture(samples, mix) == pytest.approx(monte_carlo, abs=2e-3)
    assert core.mmd_to_mixture(samples, mix) > 0.01  # a stretched and moved copy is told apart
    assert abs(core.mmd_to_mixture(mix.sample(2000, g), mix)) < 2e-3  # fresh draws score about 0


def test_the_exact_denoiser_has_no_error_and_diverged_samples_score_infinite():
    data = core.dino_mixture()
    exact = MixtureDenoiser(data)
    assert np.all(core.denoising_error(exact, exact, data, n=50) == 0)
    bad = torch.zeros(10, 2)
    bad[3, 0] = float("nan")
    assert core.coarse_and_detail(bad) == (float("inf"), float("inf"))


def test_the_three_targets_reach_the_same_optimum_on_a_gaussian():
    """Data N(m, s^2 I): the exact denoiser is m + s^2 / (s^2 + sigma^2) (x - m). A small network trained on each
    target (training.train) and read back as a denoiser (NetDenoiser) lands within a fraction of the posterior's
    own spread of it at every noise level."""
    m, s = torch.tensor([1.0, -0.5]), 0.5
    data = m + s * torch.randn(4096, 2, generator=torch.Generator().manual_seed(0))
    for target in core.TARGETS:
        net = models.EpsMLP(models.ModelConfig(fourier_features=0, hidden=32, depth=2, T=100, target=target))
        for _ in training.train(net, data, steps=800, seed=1):
            pass
        den = NetDenoiser(net)
        assert den(data[:5], torch.full((5,), 0.5, dtype=torch.float64)).dtype == torch.float32  # x's dtype back
        for sigma in (0.1, 0.3, 1.0, 3.0):
            x = m + math.sqrt(s * s + sigma**2) * torch.randn(2000, 2, generator=torch.Generator().manual_seed(2))
            exact = m + s * s / (s * s + sigma**2) * (x - m)
            spread = math.sqrt(s * s * sigma**2 / (s * s + sigma**2))
            rms = float((den(x.double(), sigma) - exact).pow(2).sum(1).mean().sqrt())
            assert rms < 0.3 * spread, (target, sigma, rms / spread)


def test_a_target_must_be_known():
    with pytest.raises(ValueError, match="target"):
        models.ModelConfig(target="score")
    with pytest.raises(ValueError):
        core.implied_weight("velocity", 0.0)
