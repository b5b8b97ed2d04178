"""Datasets: names, shapes, the dino's frame, determinism, clear errors."""

import csv
from pathlib import Path

import numpy as np
import pytest
import torch

from diffusion_core import datasets


@pytest.mark.parametrize("name", datasets.NAMES)
def test_every_set_loads_as_finite_float_points_near_unit_scale(name):
    x = datasets.load(name, 500, seed=1)
    assert x.shape == (500, 2) and x.dtype == torch.float32 and torch.isfinite(x).all()
    assert 0.4 < float(x.pow(2).mean().sqrt()) < 2.0
    assert torch.equal(x, datasets.load(name, 500, seed=1))
    assert not torch.equal(x, datasets.load(name, 500, seed=2))


def test_dino_is_the_142_csv_points_centred_and_isotropically_scaled():
    raw = np.loadtxt(Path(datasets.DATA_DIR) / "datasaurus_dino.csv", delimiter=",", skiprows=1)
    assert raw.shape == (142, 2)
    pts = datasets.load("dino").numpy()
    assert pts.shape == (142, 2)
    np.testing.assert_allclose(pts.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose((pts**2).mean(), 1.0, rtol=1e-4)
    ratio = lambda p: np.ptp(p[:, 0]) / np.ptp(p[:, 1])  # noqa: E731
    assert ratio(pts) == pytest.approx(ratio(raw), rel=1e-5)  # shape keeps its aspect ratio


def test_dino_with_n_resamples_with_small_jitter():
    x = datasets.load("dino", 1000, seed=0)
    d = torch.cdist(x, datasets.DINO_POINTS).min(1).values
    assert x.shape == (1000, 2) and float(d.max()) < 6 * datasets.DINO_JITTER and float(d.mean()) > 0


def test_two_gaussians_has_weights_one_fifth_and_four_fifths():
    x = datasets.load("two_gaussians", 20_000, seed=0)
    assert float((x[:, 0] < 0).float().mean()) == pytest.approx(0.2, abs=0.01)
    assert datasets.mixture("two_gaussians").weights.tolist() == pytest.approx([0.2, 0.8])


def test_ring8_has_eight_equal_modes_on_a_circle():
    mix = datasets.mixture("ring8")
    radii = mix.means.norm(dim=1)
    assert len(mix) == 8 and torch.allclose(radii, radii[0].expand(8))


def test_checkerboard_fills_alternate_squares():
    x = datasets.load("checkerboard", 4000, seed=0) * 1.15
    cell = (torch.floor(x[:, 0]) + torch.floor(x[:, 1])) % 2
    assert float(cell.float().std()) == 0.0  # every point on squares of one colour


def test_unknown_names_and_bad_n_raise_clear_errors():
    with pytest.raises(ValueError, match="dino, moons, ring8, two_gaussians, swissroll, checkerboard"):
        datasets.load("trex")
    with pytest.raises(ValueError, match="positive"):
        datasets.load("moons", 0)
    with pytest.raises(ValueError, match="not a Gaussian mixture"):
        datasets.mixture("moons")


def test_csv_header_is_x_y():
    with open(datasets.DATA_DIR / "datasaurus_dino.csv", newline="") as f:
        assert next(csv.reader(f)) == ["x", "y"]
