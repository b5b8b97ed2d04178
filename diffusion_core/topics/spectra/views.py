"""What "Spectral bands" shows, one call per control: the page's plain values in, numpy and numbers out.

The page calls these through its cache (app_cache/spectra.py); `bench.py` times the same calls.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from ... import inputs, pretrained, schedules
from ...denoisers import NetDenoiser
from . import core

SEEDS = 10  # the noise seeds of the reverse run: 0 to 9

# ---------------------------------------------------------------- images and their spectra

def photo(name: str) -> np.ndarray:
    """A shipped photograph prepared for the page: square, core.SIZE pixels, mean 0, variance 1."""
    return core.prepare(core.load_image(name)).numpy()


def uploaded_photo(data: bytes) -> np.ndarray:
    """A reader's image, validated in memory (inputs.read_image) and prepared like the shipped ones.

    Raises inputs.InputError with a sentence for the reader (also for a flat image, or one under
    core.MIN_SIDE pixels a side)."""
    return core.prepare(inputs.read_image(data, min_side=core.MIN_SIDE)).numpy()


def spectrum(img: np.ndarray) -> dict:
    """RAPSD of an image and its fitted power law."""
    f, p = core.rapsd(torch.from_numpy(img))
    law = core.fit_power_law(f, p)
    return {"freqs": f.numpy(), "power": p.numpy(), "amplitude": law.amplitude, "slope": law.slope,
            "fit": law(f).numpy()}


def photo_slopes() -> dict[str, float]:
    """The fitted slope of every shipped photograph, by title."""
    return {core.IMAGES[name][0]: spectrum(photo(name))["slope"] for name in core.IMAGES}


# ---------------------------------------------------------------- the rising tide

def tide(img: np.ndarray, schedule_name: str, t: int) -> dict:
    """x_t at 0-based step t (fixed noise), the SNR = 1 frequency, and the Wiener estimate of x0 from x_t."""
    ab = float(schedules.shipped(schedule_name).alpha_bar[t])
    spec = spectrum(img)
    law = core.PowerLaw(spec["amplitude"], spec["slope"])
    x0 = torch.from_numpy(img)
    x_t = core.noised(x0, ab)
    x0_hat = core.wiener(x_t, law, ab)
    share = core.signal_share(law, ab, torch.from_numpy(spec["freqs"]))
    return {"alpha_bar": ab, "x_t": x_t.numpy(), "x0_hat": x0_hat.numpy(),
            "crossing": float(core.crossing_frequency(law, ab)), "share": share.numpy(),
            "mse": float((x0_hat - x0).pow(2).mean()), "mse_scaled": float((x_t / math.sqrt(ab) - x0).pow(2).mean())}


def schedule_bands(amplitude: float, slope: float) -> dict:
    """For each schedule: the SNR = 1 frequency over t / T, the steps whose crossing lies in each octave, how
    many of them fall in the two coarsest octaves and in all, and the steps with every band under the noise."""
    law = core.PowerLaw(amplitude, slope)
    out = {}
    for name in schedules.NAMES:
        sched = schedules.shipped(name)
        crossing = core.crossing_frequency(law, sched.alpha_bar)
        octaves = core.steps_per_octave(law, sched).numpy()
        out[name] = {"T": sched.T, "t_frac": (np.arange(1, sched.T + 1) / sched.T), "crossing": crossing.numpy(),
                     "octaves": octaves, "coarse": int(octaves[:2].sum()), "counted": int(octaves.sum()),
                     "drowned": int((crossing < core.OCTAVES[0]).sum())}  # every band under the noise
    return out


def schedule_lead() -> dict:
    """Where the cosine schedule keeps more signal than the linear one (both T = 1,000): how many steps it
    leads, the 1-based steps it trails, and the most either keeps there; and gentle's alpha_bar at its end."""
    cos, lin = schedules.shipped("cosine").alpha_bar.double(), schedules.shipped("linear").alpha_bar.double()
    behind = (cos <= lin).nonzero().flatten()
    return {"ahead": int((cos > lin).sum()), "behind": [int(t) + 1 for t in behind], "T": len(cos),
            "behind_max": float(torch.maximum(cos, lin)[behind].max()) if len(behind) else 0.0,
            "first": (float(cos[0]), float(lin[0])), "gentle_end": float(schedules.shipped("gentle").alpha_bar[-1])}


# ---------------------------------------------------------------- reverse runs, exact and learned

def run_summary(run: core.ReverseRun, **extra) -> dict:
    """A ReverseRun as the page draws it: a strip of six x0_hat images, their spectra, the settling steps."""
    strip = np.linspace(0, len(run.steps) - 1, 6).round().astype(int)
    return {"steps": [run.steps[i] for i in strip], "images": run.x0_hat[strip, 0].numpy(),
            "freqs": run.freqs.numpy(), "powers": run.band_power[strip].numpy(),
            "settled": core.settling_steps(run).numpy(), **extra}


def exact_run(name: str, seed: int = 0) -> dict:
    """core.exact_run of the Gaussian model of a shipped photograph's spectrum (fitted at the run's size):
    a strip of x0_hat, band powers, settling steps."""
    f, p = core.rapsd(core.prepare(core.load_image(name), core.RUN_SIZE))
    law = core.fit_power_law(f, p)
    return run_summary(core.exact_run(law, schedules.shipped("cosine"), seed), slope=law.slope)


def settling_story(settled: np.ndarray) -> dict:
    """What a settling curve says: the step its coarsest and its finest band settle at, whether the coarsest
    settles first, and whether the steps fall monotonically with frequency."""
    s = np.asarray(settled)
    return {"coarsest": int(s[0]), "finest": int(s[-1]), "coarse_first": bool(s[0] > s[-1]),
            "monotone": bool((np.diff(s) <= 0).all())}


@functools.lru_cache(maxsize=1)
def shipped_conv() -> NetDenoiser:
    """The shipped convolutional denoiser of the photographs, loaded once."""
    return NetDenoiser(pretrained.load_conv()[0])


def learned_run(seed: int = 0) -> dict:
    """core.learned_run of the shipped convolutional denoiser, drawn like exact_run."""
    return run_summary(core.learned_run(shipped_conv(), seed))


def conv_info() -> dict:
    """The shipped convolutional denoiser's training record (steps, seconds, seed)."""
    return pretrained.load_conv()[1]
