"""Spectral view of diffusion on images: power spectra, the SNR = 1 frequency, the Wiener filter.

Conventions. Images are grey, standardised to mean 0 and variance 1, square, n x n pixels. The
power of a frequency is |FFT(x)|^2 / n^2, so white noise of variance v has power v at every
frequency and the powers average to the image's variance (Parseval). Frequencies are in cycles
per pixel, from 1/n to 1/2 (Nyquist). The RAPSD (radially averaged power spectral density)
averages the power over rings of equal |f|.

Under the VP forward process x_t = sqrt(ab) x0 + sqrt(1 - ab) eps the signal keeps ab P(f) and the
noise adds 1 - ab at every frequency, so the signal-to-noise ratio of a band is ab P(f) / (1 - ab):
with P falling like a power of f, high frequencies drown first (Dieleman 2024, "Diffusion is
spectral autoregression"; Rissanen et al. 2023). For data that is Gaussian with power spectrum P,
the exact denoiser is linear and diagonal in frequency: the Wiener filter.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ... import samplers, schedules
from ...denoisers import Denoiser
from ...inputs import InputError

IMAGE_DIR = Path(__file__).parents[2] / "data" / "images"
# name -> (title, credit); the files are 256 x 256 RGB, shipped with scikit-image (see README, Credits)
IMAGES = {
    "camera": ("Cameraman", "CC0, Lav Varshney"),
    "astronaut": ("Astronaut", "NASA, public domain"),
    "chelsea": ("Chelsea the cat", "CC0, Stefan van der Walt"),
    "coffee": ("Coffee", "CC0, Rachel Michetti"),
    "grass": ("Grass", "CC0"),
    "gravel": ("Gravel", "CC0"),
}
SIZE = 128  # the analysis size of the spectra page
MIN_SIDE = SIZE  # an upload must have this many pixels a side: smaller ones would be upsampled, which
# invents a steep spectrum
FIT_RANGE = (2.0, 0.25)  # power-law fit from 2 cycles per image to 0.25 cycles per pixel (resizing softens the top)


# ---------------------------------------------------------------- images

def load_image(name: str) -> np.ndarray:
    """A shipped photograph as float32 grey (H, W) in [0, 1]."""
    if name not in IMAGES:
        raise ValueError(f"unknown image {name!r}; valid names: {', '.join(IMAGES)}")
    with Image.open(IMAGE_DIR / f"{name}.png") as im:
        return np.asarray(im.convert("L"), dtype=np.float32) / 255.0


def prepare(grey: np.ndarray, size: int = SIZE) -> torch.Tensor:
    """Centre-crop to a square, resize to size x size (Lanczos, in floating point, so a 16-bit image with
    a narrow range keeps its levels) and standardise to mean 0, variance 1.

    A centre square of a single flat colour has no spectrum: inputs.InputError, with a sentence to show.
    """
    h, w = grey.shape
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = Image.fromarray(np.ascontiguousarray(grey[top:top + side, left:left + side], dtype=np.float32), "F")
    x = torch.from_numpy(np.asarray(square.resize((size, size), Image.LANCZOS), dtype=np.float32).copy())
    std = x.std()
    if not std > 1e-6:
        raise InputError("The centre square of the image is a single flat colour: it has no spectrum to show.")
    return (x - x.mean()) / std


# ---------------------------------------------------------------- spectra

def radial_frequency(n: int) -> torch.Tensor:
    """|f| in cycles per pixel at every FFT coefficient of an n x n image; shape (n, n)."""
    f = torch.fft.fftfreq(n, dtype=torch.float64)
    return (f[:, None] ** 2 + f[None, :] ** 2).sqrt()


def power(x: torch.Tensor) -> torch.Tensor:
    """|FFT(x)|^2 / n^2 over the last two axes (n x n); white noise of variance v gives v everywhere."""
    n = x.shape[-1]
    return torch.fft.fft2(x.double()).abs().pow(2) / (n * n)


def rapsd(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Radially averaged power of an n x n image (or a batch (..., n, n), averaged over the batch too):
    frequencies k / n for k = 1 .. n / 2, and the mean power in each ring round(|f| n) = k."""
    n = x.shape[-1]
    p = power(x).reshape(-1, n, n).mean(0)
    ring = (radial_frequency(n) * n).round().long()
    k = torch.arange(1, n // 2 + 1)
    sums = torch.zeros(n, dtype=torch.float64).index_add_(0, ring.reshape(-1).clamp_max(n - 1), p.reshape(-1))
    counts = torch.bincount(ring.reshape(-1).clamp_max(n - 1), minlength=n).double()
    return k.double() / n, sums[k] / counts[k]


@dataclass(frozen=True)
class PowerLaw:
    """P(f) = amplitude * f ** slope (slope about -2 for photographs)."""

    amplitude: float
    slope: float

    def __call__(self, f) -> torch.Tensor:
        f = torch.as_tensor(f, dtype=torch.float64)
        return self.amplitude * f.clamp_min(1e-12) ** self.slope


def fit_power_law(freqs: torch.Tensor, pw: torch.Tensor, n: int | None = None) -> PowerLaw:
    """Least-squares line through log10 power against log10 frequency, over FIT_RANGE."""
    n = n if n is not None else int(round(1 / float(freqs[0])))
    lo, hi = FIT_RANGE[0] / n, FIT_RANGE[1]
    keep = (freqs >= lo) & (freqs <= hi) & (pw > 0)
    lf, lp = freqs[keep].log10(), pw[keep].log10()
    slope = float(((lf - lf.mean()) * (lp - lp.mean())).sum() / (lf - lf.mean()).pow(2).sum())
    return PowerLaw(float(10 ** (lp.mean() - slope * lf.mean())), slope)


def crossing_frequency(law: PowerLaw, alpha_bar) -> torch.Tensor:
    """The frequency where the signal's power ab P(f) equals the noise's 1 - ab (SNR = 1).

    For a falling spectrum (slope < 0) bands below it are still mostly signal, bands above it mostly
    noise. From the power law: f = ((1 - ab) / (ab A)) ** (1 / slope); NaN for a flat one.
    """
    ab = torch.as_tensor(alpha_bar, dtype=torch.float64).clamp(1e-12, 1 - 1e-12)
    if abs(law.slope) < 1e-6:  # a flat spectrum: every band crosses at once, or never
        return torch.full_like(ab, float("nan"))
    return ((1 - ab) / (ab * law.amplitude)) ** (1 / law.slope)


OCTAVES = tuple(2.0 ** -k for k in range(7, 0, -1))  # 1/128 ... 1/2 cycles per pixel: 6 octaves


def steps_per_octave(law: PowerLaw, schedule: schedules.Schedule, edges=OCTAVES) -> torch.Tensor:
    """How many of the schedule's T steps have their SNR = 1 frequency inside each octave [e_i, e_i+1)."""
    f = crossing_frequency(law, schedule.alpha_bar)
    e = torch.as_tensor(edges, dtype=torch.float64)
    return torch.stack([((f >= a) & (f < b)).sum() for a, b in itertools.pairwise(e)])


# ---------------------------------------------------------------- the Wiener filter and the Gaussian model

def signal_share(law: PowerLaw, alpha_bar: float, f) -> torch.Tensor:
    """The share of x_t's power at frequency f that is signal: ab P / (ab P + 1 - ab), from 0 to 1."""
    p = law(f)
    return alpha_bar * p / (alpha_bar * p + 1 - alpha_bar)


def wiener_response(law: PowerLaw, alpha_bar: float, n: int) -> torch.Tensor:
    """The MMSE linear estimate of x0 from x_t per frequency, for Gaussian data with power P = law:
    H(f) = signal_share / sqrt(ab) = sqrt(ab) P(f) / (ab P(f) + 1 - ab); the mean (f = 0) is known to be
    0, so H(0) = 0."""
    h = signal_share(law, alpha_bar, radial_frequency(n)) / math.sqrt(alpha_bar)
    h[0, 0] = 0.0
    return h


def wiener(x_t: torch.Tensor, law: PowerLaw, alpha_bar: float) -> torch.Tensor:
    """x0_hat: the Wiener filter applied to images x_t (..., n, n)."""
    h = wiener_response(law, alpha_bar, x_t.shape[-1])
    return torch.fft.ifft2(torch.fft.fft2(x_t.double()) * h).real.to(x_t.dtype)


def gaussian_field(count: int, n: int, law: PowerLaw, generator: torch.Generator | None = None) -> torch.Tensor:
    """Images of the Gaussian model: white noise shaped to power P = law, mean 0; shape (count, n, n)."""
    white = torch.randn(count, n, n, generator=generator, dtype=torch.float64)
    p = law(radial_frequency(n))
    p[0, 0] = 0.0
    return torch.fft.ifft2(torch.fft.fft2(white) * p.sqrt()).real.float()


def wiener_ve(x: torch.Tensor, law: PowerLaw, sigma: float) -> torch.Tensor:
    """The same filter on x = x0 + sigma eps (..., n, n): x0_hat(f) = P(f) / (P(f) + sigma^2) x(f), mean 0."""
    n = x.shape[-1]
    p = law(radial_frequency(n))
    h = p / (p + sigma**2)
    h[0, 0] = 0.0
    return torch.fft.ifft2(torch.fft.fft2(x.double()) * h).real.to(x.dtype)


class SpectralDenoiser(Denoiser):
    """The exact denoiser of the Gaussian model with power spectrum `law`, on flattened n x n images."""

    def __init__(self, law: PowerLaw, n: int):
        self.law, self.n = law, n

    def __call__(self, x: torch.Tensor, sigma) -> torch.Tensor:
        return wiener_ve(x.reshape(-1, self.n, self.n), self.law, float(sigma)).reshape(x.shape)


# ---------------------------------------------------------------- a reverse run, coarse to fine

@dataclass(frozen=True)
class ReverseRun:
    steps: list[int]  # 1-based step of each prediction, T .. 1
    x0_hat: torch.Tensor  # (S, count, n, n) the prediction at each step
    final: torch.Tensor  # (count, n, n) the samples
    freqs: torch.Tensor  # (K,) ring frequencies
    band_power: torch.Tensor  # (S, K) RAPSD of x0_hat at each step (batch-averaged)


def reverse_run(denoiser: Denoiser, schedule: schedules.Schedule, n: int, count: int = 8, steps: int = 100,
                sampler: str = "ddim", seed: int = 0, clip_x0: float | None = None) -> ReverseRun:
    """Sample `count` n x n images over `steps` of the schedule; keep every prediction x0_hat and its RAPSD.
    No clipping by default: the Gaussian model's images are unbounded; a network's guesses are clipped
    like the 2D samplers'."""
    sigmas = schedules.grid(schedule, steps)
    run = list(samplers.run(denoiser, count, sigmas, sampler=sampler, seed=seed, dim=n * n, clip_x0=clip_x0))
    stacked = torch.stack([step.x0_hat.reshape(count, n, n) for step in run[:-1]])
    powers = [rapsd(p) for p in stacked]
    ts = [t + 1 for t in schedules.timesteps(schedule.T, steps)]
    return ReverseRun(ts, stacked, run[-1].x.reshape(count, n, n), powers[0][0], torch.stack([p for _, p in powers]))


SETTLE_TOLERANCE = 0.1  # a band has settled once its power stays within this share of its final power


def settling_steps(run: ReverseRun, tolerance: float = SETTLE_TOLERANCE) -> torch.Tensor:
    """For each ring, the 1-based step from which x0_hat's power stays within `tolerance` of its final
    power: large for bands decided early (at high noise), small for those decided last; shape (K,)."""
    off = (run.band_power / run.band_power[-1:] - 1).abs() > tolerance  # (S, K); the last row is never off
    # the first index after the last one that is off: count the trailing run of settled rows
    settled_tail = (~off).flip(0).int().cumprod(0).sum(0)  # (K,) rows settled at the end, at least 1
    return torch.tensor(run.steps)[len(run.steps) - settled_tail]


# ---------------------------------------------------------------- what the page shows

def noised(x0: torch.Tensor, alpha_bar: float, seed: int = 0) -> torch.Tensor:
    """x_t = sqrt(ab) x0 + sqrt(1 - ab) eps with one fixed eps per seed, so scrubbing t keeps the noise."""
    eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed))
    return math.sqrt(alpha_bar) * x0 + math.sqrt(1 - alpha_bar) * eps


RUN_SIZE, RUN_COUNT, RUN_STEPS = 64, 8, 50


def exact_run(law: PowerLaw, schedule: schedules.Schedule, seed: int = 0) -> ReverseRun:
    """A DDIM run of the Gaussian model with this power law: RUN_COUNT images of RUN_SIZE pixels."""
    return reverse_run(SpectralDenoiser(law, RUN_SIZE), schedule, RUN_SIZE, RUN_COUNT, RUN_STEPS, "ddim", seed)


LEARNED_COUNT, LEARNED_STEPS = 4, 50


def learned_run(denoiser: Denoiser, seed: int = 0) -> ReverseRun:
    """A DDIM run of a trained image denoiser: LEARNED_COUNT images of RUN_SIZE pixels in LEARNED_STEPS
    steps, guesses clipped to +-4 (the images have unit variance) as the 2D samplers clip theirs."""
    return reverse_run(denoiser, denoiser.schedule, RUN_SIZE, LEARNED_COUNT, LEARNED_STEPS, "ddim", seed,
                       clip_x0=samplers.X0_CLIP)
