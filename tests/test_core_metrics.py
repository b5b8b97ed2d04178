"""Metrics against closed forms and brute force."""

import math

import numpy as np
import pytest
import torch

from diffusion_core import datasets, metrics


def _folded_normal_mean(mu, s):
    """E|Z| for Z ~ N(mu, s^2)."""
    return s * math.sqrt(2 / math.pi) * math.exp(-mu**2 / (2 * s**2)) + mu * math.erf(mu / (s * math.sqrt(2)))


@pytest.mark.parametrize("shift", [0.0, 0.5, 2.0])
def test_energy_distance_of_two_1d_normals_matches_the_closed_form(shift):
    """ED(N(0,1), N(mu,1)) = 2 E|N(mu, 2)| - 2 E|N(0, 2)|."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(3000, 1, generator=g)
    b = torch.randn(3000, 1, generator=g) + shift
    exact = 2 * _folded_normal_mean(shift, math.sqrt(2)) - 2 * _folded_normal_mean(0.0, math.sqrt(2))
    assert metrics.energy_distance(a, b) == pytest.approx(exact, abs=0.01)


def test_energy_distance_is_unbiased_for_two_draws_of_one_distribution():
    values = [metrics.energy_distance(datasets.load("ring8", 500, seed=s), datasets.load("ring8", 500, seed=s + 99))
              for s in range(10)]
    assert abs(np.mean(values)) < 0.003


def test_nearest_distances_match_brute_force():
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(300, 2, generator=g), torch.randn(500, 2, generator=g)
    brute = np.sqrt(((a.numpy()[:, None] - b.numpy()[None]) ** 2).sum(-1)).min(1)
    np.testing.assert_allclose(metrics.nearest_distances(a, b, chunk=64).numpy(), brute, rtol=1e-5, atol=1e-6)


def test_mode_coverage_of_exact_ring8_samples_matches_the_weights():
    mix = datasets.mixture("ring8")
    cov = metrics.mode_coverage(datasets.load("ring8", 8000, seed=2), mix)
    assert cov.max_error < 0.02 and cov.off_mode < 0.02 and cov.modes_hit == 8


def test_mode_coverage_of_samples_between_modes_is_off_mode():
    mix = datasets.mixture("ring8")
    cov = metrics.mode_coverage(torch.zeros(100, 2), mix)
    assert cov.off_mode == 1.0 and cov.modes_hit == 0 and float(cov.shares.sum()) == 0.0


def test_mode_coverage_refuses_an_empirical_set():
    from diffusion_core.mixtures import EmpiricalSet

    with pytest.raises(ValueError, match="positive width"):
        metrics.mode_coverage(torch.zeros(3, 2), EmpiricalSet(torch.ones(4, 2)))


def test_dino_quality_of_data_is_at_the_floor():
    """Fresh dino data: ED about 0, s2d the mean of a Rayleigh(jitter) distance, jitter * sqrt(pi / 2)."""
    q = metrics.dino_quality(datasets.load("dino", 4000, seed=5))
    assert abs(q.energy_distance) < 0.003
    assert q.sample_to_data == pytest.approx(datasets.DINO_JITTER * math.sqrt(math.pi / 2), rel=0.1)


def test_standardize_uses_one_isotropic_scale():
    ref = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 4.0], [2.0, 4.0]])
    z = metrics.standardize(ref, ref)
    torch.testing.assert_close(z.mean(0), torch.zeros(2))
    assert float(z.pow(2).mean()) == pytest.approx(1.0)
    assert float(z[:, 1].std() / z[:, 0].std()) == pytest.approx(2.0)  # aspect ratio kept


def test_quality_ignores_non_finite_samples_and_reports_inf_when_nothing_is_left():
    data = datasets.load("moons", 200)
    assert math.isinf(metrics.quality(torch.full((5, 2), float("nan")), data).energy_distance)
    mixed = torch.cat([data[:100], torch.full((3, 2), float("inf"))])
    assert math.isfinite(metrics.quality(mixed, data).energy_distance)


def test_the_noise_band_holds_fresh_draws_and_narrows_with_more_samples():
    """Fresh dino draws, other than those that set the band, land inside it about 95% of the time; the spread
    falls as the sample grows (the energy distance's U-statistic has variance of order 1/n)."""
    small, large = metrics.dino_noise(400), metrics.dino_noise(1600)
    assert large.std < 0.7 * small.std
    reference, within = metrics._dino_reference(0, metrics.DINO_REFERENCE_N)
    eds = [metrics.energy_distance(datasets.load("dino", 400, seed=90_000 + k).double(), reference, b_within=within)
           for k in range(30)]
    assert sum(small.within(e) for e in eds) >= 25, (small, eds)
    assert not small.within(small.top + 1e-9) and small.within(small.mean)


def test_resampled_noise_is_small_for_many_samples_of_a_set():
    pts = datasets.load("moons", 1000, seed=1)
    band = metrics.resampled_noise(pts, 1000)
    assert 0 < band.std < 0.01 and abs(band.mean) < 3 * band.std + 0.005
