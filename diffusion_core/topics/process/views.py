"""What "The diffusion process" shows, one call per control: plain values in, numpy and numbers out.

The page calls these through its cache (app_cache/process.py); `bench.py` times the same calls.
"""

from __future__ import annotations

import numpy as np
import torch

from ... import datasets, metrics, pretrained, schedules, shipped
from ...denoisers import Denoiser, MixtureDenoiser
from ...mixtures import EmpiricalSet

FORWARD_N, ARROWS = 1000, 150  # noised points drawn, and how many of them carry an arrow
LADDER_SAMPLER, LADDER_STEPS, LADDER_N = "ddpm", 100, 1000  # each rung's samples
SAMPLERS, PATH_STEPS, PARTICLES, SEEDS = ("ddpm", "ddim"), (20, 100, 1000), 12, 10  # the reverse paths' controls


def schedule_curves() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """alpha_bar and SNR over the steps of every schedule, {name: (alpha_bar, snr)}."""
    return {name: (schedules.shipped(name).alpha_bar.numpy(), schedules.shipped(name).snr.numpy())
            for name in schedules.NAMES}


def ideal_denoiser(dataset: str, n: int = FORWARD_N, seed: int = 0) -> MixtureDenoiser:
    """The exact denoiser of `dataset`: its Gaussian mixture, or the empirical set of its points (the 142
    dino points the models train on, or n drawn points of another set)."""
    if dataset in datasets.MIXTURES:
        return MixtureDenoiser(datasets.mixture(dataset))
    points = datasets.load("dino") if dataset == "dino" else datasets.load(dataset, n, seed=seed)
    return MixtureDenoiser(EmpiricalSet(points))


def forward(dataset: str, schedule_name: str, t: int, n: int = FORWARD_N, seed: int = 0) -> dict:
    """x_t at 0-based step t for n points of `dataset` (Ho et al. eq. 4), one fixed eps per point so that
    moving t shows each point drift into the noise; the ideal drift E[x0 | x_t] - x_t at the first ARROWS of
    them; alpha_bar_t and SNR(t)."""
    sched = schedules.shipped(schedule_name)
    x0 = datasets.load(dataset, n, seed=seed)
    eps = torch.randn(n, 2, generator=torch.Generator().manual_seed(seed + 1))
    ab = sched.alpha_bar[t]
    x_t = schedules.q_sample(x0, eps, ab)
    x, sigma = schedules.from_vp(x_t[:ARROWS], float(ab))
    drift = ideal_denoiser(dataset, n, seed)(x, sigma) - x_t[:ARROWS]  # E[x0 | x_t] - x_t, exact
    return {"x_t": x_t.numpy(), "origins": x_t[:ARROWS].numpy(), "drift": drift.numpy(), "alpha_bar": float(ab),
            "snr": float(sched.snr[t]), "T": sched.T}


FRACS = tuple(k / 50 for k in range(51))  # the t / T the forward figure can show: 0, 0.02, ..., 1


def forward_run(dataset: str, schedule_name: str) -> dict:
    """`forward` at every t / T of FRACS (t = max(1, round(frac T))), stacked for the figure's frames: "frac",
    "t" (1-based), "x_t" (F, n, 2), "origins" and "drift" (F, ARROWS, 2) in float32, "alpha_bar", "snr", "T"."""
    T = schedules.SHIPPED_T[schedule_name]
    steps = [max(1, round(f * T)) for f in FRACS]
    views = [forward(dataset, schedule_name, t - 1) for t in steps]
    stack = lambda key: np.stack([v[key] for v in views]).astype(np.float32)  # noqa: E731
    return {"frac": list(FRACS), "t": steps, "x_t": stack("x_t"), "origins": stack("origins"), "drift": stack("drift"),
            "alpha_bar": [v["alpha_bar"] for v in views], "snr": [v["snr"] for v in views], "T": T}


def rung(name: str) -> dict:
    """One rung of the ablation ladder from its shipped weights: samples, energy distance, s2d and the model."""
    return rung_of(shipped.denoiser(name), shipped.info(name))


def rung_of(den: Denoiser, info: dict | None = None, seed: int = 0) -> dict:
    """A rung's samples and numbers for any denoiser of the ladder (a model trained live has no `info`), and
    the noise band of the energy distance at this sample size."""
    x = shipped.run_of(den, LADDER_SAMPLER, LADDER_STEPS, LADDER_N, seed).samples
    ed, s2d = shipped.quality(x, seed)
    return {"samples": x, "ed": ed, "s2d": s2d, "info": info, "band": metrics.dino_noise(LADDER_N)}


ABLATION_SEEDS = (0, 1, 2, 3)


def ablation() -> dict:
    """What the gentle schedule costs, measured over several seeds: the energy distance and s2d of the gentle
    rung and of the rung it changes (Fourier features, linear schedule), seed by seed; and how much signal the
    gentle schedule leaves at t = T."""
    pair = (pretrained.ABLATION, "ladder_fourier")
    runs = {name: [rung_of(shipped.denoiser(name), seed=s) for s in ABLATION_SEEDS] for name in pair}
    out = {name: {"ed": [r["ed"] for r in rs], "s2d": [r["s2d"] for r in rs]} for name, rs in runs.items()}
    paired = {key: metrics.mean_and_error([g - b for g, b in zip(out[pair[0]][key], out[pair[1]][key])])
              for key in ("ed", "s2d")}  # the same seed, so the same start points: compared pair by pair
    return out | {"alpha_bar_T": float(schedules.shipped("gentle").alpha_bar[-1]), "seeds": len(ABLATION_SEEDS),
                  "difference": paired}


def linear_drowned(level: float = 0.01) -> dict:
    """From which step the linear schedule keeps less than `level` of the signal, and what share of its steps
    that is (the cosine schedule's too)."""
    out = {}
    for name in ("linear", "cosine"):
        ab = schedules.shipped(name).alpha_bar
        below = (ab < level).nonzero().flatten()
        first = int(below[0]) + 1 if len(below) else None
        out[name] = {"from": first, "share": (len(ab) - first + 1) / len(ab) if first else 0.0}
    return out


def reverse_paths(sampler: str, steps: int, seed: int) -> np.ndarray:
    """The states (S + 1, PARTICLES, 2) of PARTICLES particles of the shipped dino model, in the VP frame. A page
    that shows n of them shows the first n, so that one more particle adds a path and keeps the others (each
    particle's run depends only on its own noise draws)."""
    return shipped.trajectory("dino", sampler, steps, PARTICLES, seed).states
