"""Every denoiser answers x0_hat = D(x; sigma): the conversions, the exact denoiser's score against autograd,
and a network's wrapper against the VP formulas it stands for."""

import math

import pytest
import torch
from torch import distributions as D

from diffusion_core import datasets, denoisers, models, pretrained, schedules


def test_conversions_round_trip():
    g = torch.Generator().manual_seed(0)
    x0, eps = torch.randn(10, 2, generator=g), torch.randn(10, 2, generator=g)
    sigma = 0.7
    x = x0 + sigma * eps
    torch.testing.assert_close(denoisers.x0_from_eps(x, eps, sigma), x0)
    torch.testing.assert_close(denoisers.eps_from_x0(x, x0, sigma), eps)
    torch.testing.assert_close(denoisers.score_from_x0(x, x0, sigma), denoisers.score_from_eps(eps, sigma))
    per_row = torch.tensor([0.1, 1.0, 3.0] + [1.0] * 7)
    torch.testing.assert_close(denoisers.x0_from_eps(x0 + per_row[:, None] * eps, eps, per_row), x0)


def test_sigma_and_alpha_bar_convert_both_ways():
    for ab in (0.999, 0.5, 1e-4):
        assert schedules.alpha_bar_of(schedules.sigma_of(ab)) == pytest.approx(ab, rel=1e-12)
    x_t = torch.tensor([[0.3, -1.2]])
    x, sigma = schedules.from_vp(x_t, 0.36)
    torch.testing.assert_close(x, x_t / 0.6)
    assert sigma == pytest.approx(math.sqrt(0.64 / 0.36))
    torch.testing.assert_close(schedules.to_vp(x, sigma), x_t)


@pytest.mark.parametrize("sigma", [0.05, 0.6, 4.0])
def test_the_mixture_denoisers_score_is_the_gradient_of_the_noised_density(sigma):
    """x = x0 + sigma eps with x0 ~ sum_k w_k N(m_k, s_k^2) is sum_k w_k N(m_k, (s_k^2 + sigma^2) I)."""
    mix = datasets.mixture("two_gaussians")
    scale = (mix.stds**2 + sigma**2).sqrt()[:, None].expand_as(mix.means)
    noised = D.MixtureSameFamily(D.Categorical(mix.weights), D.Independent(D.Normal(mix.means, scale), 1))
    x = (2 * torch.randn(40, 2, generator=torch.Generator().manual_seed(1))).requires_grad_(True)
    (grad,) = torch.autograd.grad(noised.log_prob(x).sum(), x)
    den = denoisers.MixtureDenoiser(mix)
    torch.testing.assert_close(den.score(x.detach(), sigma), grad, rtol=2e-3, atol=2e-3)
    torch.testing.assert_close(den.eps(x.detach(), sigma), -sigma * grad, rtol=2e-3, atol=2e-3)


def test_a_network_answers_at_its_own_steps_as_the_vp_formula_says():
    """On the schedule's levels, D(x; sigma_t) = (x_t - sqrt(1 - ab) eps(x_t, t)) / sqrt(ab) with x_t = sqrt(ab) x."""
    net = pretrained.load("dino")[0]
    den = denoisers.NetDenoiser(net)
    ab = den.schedule.alpha_bar
    x = torch.randn(64, 2, generator=torch.Generator().manual_seed(2))
    for t in (0, 10, 400, 999):
        sigma = float(den.schedule.sigma[t])
        assert float(den.step_of(sigma)) == t
        x_t = ab[t].sqrt() * x
        ref = (x_t - (1 - ab[t]).sqrt() * net(x_t, torch.tensor([t]))) / ab[t].sqrt()
        torch.testing.assert_close(den(x, sigma), ref.detach(), atol=2e-4, rtol=1e-4)


def test_between_steps_the_time_input_is_interpolated_in_log_sigma():
    den = denoisers.NetDenoiser(models.EpsMLP(models.ModelConfig(hidden=16, depth=2)))
    sig = den.schedule.sigma
    mid = math.sqrt(float(sig[300]) * float(sig[301]))  # halfway in log sigma
    assert float(den.step_of(mid)) == pytest.approx(300.5, abs=1e-6)
    assert float(den.step_of(1e-9)) == 0 and float(den.step_of(1e9)) == 999  # clamped to the steps it knows
    per_row = den.step_of(sig[[5, 700]])
    assert per_row.tolist() == [5.0, 700.0]
    assert den.step_of(sig[[5, 700]].float()).tolist() == pytest.approx([5.0, 700.0], abs=1e-5)
    x = torch.randn(2, 2)
    rows = den(x, sig[[5, 700]])
    torch.testing.assert_close(rows[:1], den(x[:1], float(sig[5])))
    torch.testing.assert_close(rows[1:], den(x[1:], float(sig[700])))
