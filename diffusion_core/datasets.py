"""2D point sets in the project's canonical frame, and validated loading of user points.

Canonical frame: every set is roughly centred on the origin with a pooled
per-coordinate standard deviation near 1. The dino is centred on its mean and
divided by one isotropic factor (its pooled standard deviation), so its shape
keeps its aspect ratio.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import torch

from . import mixtures
from .mixtures import GaussianMixture

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_N = 1000
DINO_JITTER = 0.01  # std of the jitter added when the dino is resampled, canonical units


def _read_dino_raw() -> torch.Tensor:
    with open(DATA_DIR / "datasaurus_dino.csv", newline="") as f:
        rows = [(float(r["x"]), float(r["y"])) for r in csv.DictReader(f)]
    return torch.tensor(rows, dtype=torch.float32)  # (142, 2)


_DINO_RAW = _read_dino_raw()
DINO_CENTRE = _DINO_RAW.mean(0)
DINO_SCALE = float((_DINO_RAW - DINO_CENTRE).pow(2).mean().sqrt())  # pooled std, raw units
DINO_POINTS = (_DINO_RAW - DINO_CENTRE) / DINO_SCALE  # (142, 2) canonical


def _read_dozen() -> tuple[tuple[str, ...], torch.Tensor, torch.Tensor]:
    with open(DATA_DIR / "datasaurus_dozen.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    names = tuple(dict.fromkeys(r["dataset"] for r in rows))  # in the file's order, the dino first
    points = torch.tensor([(float(r["x"]), float(r["y"])) for r in rows], dtype=torch.float32)
    labels = torch.tensor([names.index(r["dataset"]) for r in rows])
    return names, (points - DINO_CENTRE) / DINO_SCALE, labels


# The Datasaurus Dozen (Matejka and Fitzmaurice 2017): 13 sets of 142 points with the same means, deviations and
# correlation, all in the dino's canonical frame (one shift and one scale for all, so they keep their relative sizes)
DOZEN_NAMES, DOZEN_POINTS, DOZEN_LABELS = _read_dozen()  # names (13,), points (1846, 2), labels (1846,) in 0..12
DOZEN_LABELS_TEXT = {"dino": "Dino", "away": "Away", "h_lines": "Horizontal lines", "v_lines": "Vertical lines",
                     "x_shape": "X shape", "star": "Star", "high_lines": "High lines", "dots": "Dots",
                     "circle": "Circle", "bullseye": "Bullseye", "slant_up": "Slant up", "slant_down": "Slant down",
                     "wide_lines": "Wide lines"}


def dozen_shape(name: str) -> torch.Tensor:
    """The 142 points of one Datasaurus Dozen set in the canonical frame, (142, 2)."""
    if name not in DOZEN_NAMES:
        raise ValueError(f"unknown Datasaurus Dozen set {name!r}; valid names: {', '.join(DOZEN_NAMES)}")
    return DOZEN_POINTS[DOZEN_LABELS == DOZEN_NAMES.index(name)].clone()


def dino(n: int | None, g: torch.Generator) -> torch.Tensor:
    """The Datasaurus dino (Matejka and Fitzmaurice 2017); with n, resampled with a small jitter."""
    if n is None:
        return DINO_POINTS.clone()
    idx = torch.randint(len(DINO_POINTS), (n,), generator=g)
    return DINO_POINTS[idx] + DINO_JITTER * torch.randn(n, 2, generator=g)


def ring8_mixture() -> GaussianMixture:
    """Eight equal Gaussians evenly spaced on a circle of radius 1.4."""
    angles = torch.arange(8) * (2 * math.pi / 8)
    means = 1.4 * torch.stack([angles.cos(), angles.sin()], 1)  # (8, 2)
    return GaussianMixture(means, torch.full((8,), 0.1), torch.full((8,), 1 / 8))


def two_gaussians_mixture() -> GaussianMixture:
    """Two far-apart Gaussians with weights 1/5 and 4/5."""
    means = torch.tensor([[-1.5, 0.0], [1.5, 0.0]])
    return GaussianMixture(means, torch.tensor([0.3, 0.3]), torch.tensor([0.2, 0.8]))


def moons(n: int, g: torch.Generator) -> torch.Tensor:
    """Two interleaved half circles with Gaussian noise (as scikit-learn's make_moons)."""
    n_top = n // 2
    theta = math.pi * torch.rand(n, generator=g)
    top = torch.stack([theta.cos(), theta.sin()], 1)
    bottom = torch.stack([1 - theta.cos(), 0.5 - theta.sin()], 1)
    is_top = (torch.arange(n) < n_top).unsqueeze(1)
    x = torch.where(is_top, top, bottom) + 0.05 * torch.randn(n, 2, generator=g)
    x = x[torch.randperm(n, generator=g)]
    return (x - torch.tensor([0.5, 0.25])) / 0.7


def swissroll(n: int, g: torch.Generator) -> torch.Tensor:
    """A 2D Swiss roll: a spiral r = theta with Gaussian noise."""
    theta = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=g))
    x = torch.stack([theta * theta.cos(), theta * theta.sin()], 1)
    x = x + 0.3 * torch.randn(n, 2, generator=g)
    return x / 7.0


def checkerboard(n: int, g: torch.Generator) -> torch.Tensor:
    """Uniform on the dark squares of a 4x4 checkerboard (as in FFJORD, Grathwohl et al. 2019)."""
    u = torch.rand(n, generator=g) * 4 - 2
    v = torch.rand(n, generator=g) - 2 * torch.randint(2, (n,), generator=g)
    v = v + (u.floor() % 2)
    return torch.stack([u, v], 1) / 1.15


MIXTURES = {"ring8": ring8_mixture, "two_gaussians": two_gaussians_mixture}
_SAMPLERS = {"dino": dino, "moons": moons,
             "ring8": lambda n, g: ring8_mixture().sample(n, g),
             "two_gaussians": lambda n, g: two_gaussians_mixture().sample(n, g),
             "swissroll": swissroll, "checkerboard": checkerboard}
NAMES = tuple(_SAMPLERS)
LABELS = {"dino": "Dino (Datasaurus)", "moons": "Two moons", "ring8": "Ring of 8 Gaussians",
          "two_gaussians": "Two Gaussians (1 : 4)", "swissroll": "Swiss roll", "checkerboard": "Checkerboard"}


def _check_name(name: str) -> None:
    if name not in NAMES:
        raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(NAMES)}")


def mixture(name: str) -> GaussianMixture:
    """The exact Gaussian mixture behind a mixture dataset (ring8, two_gaussians)."""
    _check_name(name)
    if name not in MIXTURES:
        raise ValueError(f"{name!r} is not a Gaussian mixture; mixtures: {', '.join(MIXTURES)}")
    return MIXTURES[name]()


def load(name: str, n: int | None = None, seed: int = 0) -> torch.Tensor:
    """Points of dataset `name`, shape (n, 2), float32, canonical frame; deterministic in seed."""
    _check_name(name)
    if n is not None and (not isinstance(n, int) or n <= 0):
        raise ValueError(f"n must be a positive integer, got {n!r}")
    g = torch.Generator().manual_seed(seed)
    if name == "dino":
        return dino(n, g)
    return _SAMPLERS[name](DEFAULT_N if n is None else n, g)


def jitter_of(name: str) -> float:
    """Std of the jitter to add when resampling a fixed point set of this dataset for training."""
    return DINO_JITTER if name == "dino" else 0.0


TRAINING_N = 10_000
DOZEN = "dozen"  # the training set of all 13 Datasaurus sets, labelled (kept apart from NAMES too)
# 1D sets, kept apart from NAMES (the 2D sets the pages offer): only "Means and modes" uses them
ONE_D = {"three_modes_1d": mixtures.three_modes_1d}


def training_set(name: str, seed: int = 0) -> tuple[torch.Tensor, float]:
    """Points to train on and the jitter to add per batch: the 142 dino points, or 10,000 draws."""
    if name in ONE_D:
        return ONE_D[name]().sample(TRAINING_N, torch.Generator().manual_seed(seed)), 0.0
    if name == DOZEN:  # labelled: the labels are DOZEN_LABELS, row for row
        return DOZEN_POINTS.clone(), DINO_JITTER
    points = load(name) if name == "dino" else load(name, TRAINING_N, seed=seed)
    return points, jitter_of(name)


MEMO_POOL, MEMO_SEED = 2000, 123


def memorization_set(n: int, dataset: str = "ring8") -> torch.Tensor:
    """The first n of one fixed draw of MEMO_POOL points: a small training set, nested in the larger ones."""
    if not 1 <= n <= MEMO_POOL:
        raise ValueError(f"a memorization set has 1 to {MEMO_POOL:,} points, not {n!r}")
    return load(dataset, MEMO_POOL, seed=MEMO_SEED)[:n]


def repeated_set(n: int, copies: int, dataset: str = "ring8") -> torch.Tensor:
    """`memorization_set(n)` with its first point repeated `copies` times (rows 1 to copies - 1 replaced by
    row 0): a set of the same size in which one point is seen `copies` times as often as the others."""
    if not 1 <= copies <= n:
        raise ValueError(f"copies must be between 1 and the set's size {n}, not {copies!r}")
    points = memorization_set(n, dataset).clone()
    points[1:copies] = points[0]
    return points
