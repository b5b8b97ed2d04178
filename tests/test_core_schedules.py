"""Schedules against their published definitions, recomputed independently with numpy."""

import math

import numpy as np
import pytest
import torch

from diffusion_core import schedules


def test_linear_matches_ho_et_al():
    s = schedules.make("linear", 1000)
    betas = np.linspace(1e-4, 0.02, 1000)
    np.testing.assert_allclose(s.betas.numpy(), betas, rtol=1e-5)
    np.testing.assert_allclose(s.alpha_bar.numpy(), np.cumprod(1 - betas), rtol=1e-4)
    assert s.alpha_bar[0] == pytest.approx(1 - 1e-4, rel=1e-6)
    assert s.alpha_bar[-1] < 1e-4  # x_T is essentially pure noise


def test_linear_rescales_with_T_to_keep_its_end_point():
    ab_100 = float(schedules.make("linear", 100).alpha_bar[-1])
    ab_1000 = float(schedules.make("linear", 1000).alpha_bar[-1])
    assert ab_100 < 1e-3 and ab_1000 < 1e-3


def test_cosine_matches_nichol_dhariwal_closed_form():
    T, s = 1000, 0.008
    s_ = schedules.make("cosine", T)
    t = np.arange(T + 1) / T
    f = np.cos((t + s) / (1 + s) * np.pi / 2) ** 2
    ab = (f / f[0])[1:]
    unclipped = slice(0, T - 5)  # the last betas are clipped at 0.999
    np.testing.assert_allclose(s_.alpha_bar.numpy()[unclipped], ab[unclipped], rtol=1e-4, atol=1e-7)
    assert s_.alpha_bar[0] > 0.9999
    assert s_.alpha_bar[-1] < 1e-6
    assert float(s_.betas.max()) <= 0.999 + 1e-6


def test_gentle_ends_at_0_6_and_matches_the_trex_betas_at_50_steps():
    s = schedules.make("gentle", 50)
    assert float(s.alpha_bar[-1]) == pytest.approx(0.6, abs=1e-4)
    assert float(s.betas[0]) == pytest.approx(1e-4, rel=1e-3)
    # the T-Rex toy used linspace(1e-4, 0.02, 50): alpha_bar_T = prod(1 - beta) ~ 0.6
    assert float(s.betas[-1]) == pytest.approx(0.02, rel=0.05)


@pytest.mark.parametrize("name", schedules.NAMES)
def test_sigma_snr_identities_and_monotonicity(name):
    s = schedules.make(name, 200)
    ab = s.alpha_bar.double().numpy()
    np.testing.assert_allclose(s.noise_std.double().numpy() ** 2 + ab, 1.0, atol=1e-6)
    np.testing.assert_allclose(s.snr.double().numpy(), ab / (1 - ab), rtol=1e-4)
    np.testing.assert_allclose(s.sigma.numpy(), np.sqrt((1 - ab) / ab), rtol=1e-10)  # the noise level, x0 + sigma eps
    np.testing.assert_allclose(1 / s.sigma.numpy() ** 2, s.snr.double().numpy(), rtol=1e-4)
    assert np.all(np.diff(s.sigma.numpy()) > 0)
    assert np.all(np.diff(ab) < 0), "alpha_bar must fall at every step"
    assert np.all(np.diff(s.snr.numpy()) < 0)
    assert float(s.alpha_bar_prev()[0]) == 1.0
    assert math.isclose(float(s.alpha_bar_prev()[1]), ab[0], rel_tol=1e-6)


def test_unknown_schedule_lists_the_valid_names():
    with pytest.raises(ValueError, match="linear, cosine, gentle"):
        schedules.make("quadratic", 100)
    with pytest.raises(ValueError, match="T must be"):
        schedules.make("linear", 1)
    with pytest.raises(ValueError, match="linear, cosine, gentle"):
        schedules.shipped("quadratic")
    assert {n: schedules.shipped(n).T for n in schedules.NAMES} == schedules.SHIPPED_T


def test_nearest_step_is_nearest_in_log_sigma():
    s = schedules.make("cosine", 1000)
    for t in (0, 17, 500, 999):
        assert s.nearest_step(float(s.sigma[t]) * 1.0001) == t
    assert s.nearest_step(1e-9) == 0 and s.nearest_step(1e9) == 999


def test_q_sample_has_the_forward_marginal():
    """x_t given x0 is N(sqrt(ab) x0, (1 - ab) I): check mean and variance by Monte Carlo."""
    g = torch.Generator().manual_seed(0)
    x0 = torch.tensor([[1.5, -2.0]]).expand(100_000, 2)
    ab = 0.3
    x_t = schedules.q_sample(x0, torch.randn(100_000, 2, generator=g), ab)
    torch.testing.assert_close(x_t.mean(0), math.sqrt(ab) * x0[0], atol=0.01, rtol=0)
    torch.testing.assert_close(x_t.var(0), torch.full((2,), 1 - ab), atol=0.01, rtol=0)
    per_row = schedules.q_sample(x0[:3], torch.zeros(3, 2), torch.tensor([1.0, 0.25, 0.0]))
    torch.testing.assert_close(per_row, torch.tensor([[1.5, -2.0], [0.75, -1.0], [0.0, 0.0]]))
