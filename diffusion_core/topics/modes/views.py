"""What "Means and modes" shows, one call per control: the page's plain values in, numpy and numbers out.

The page calls these through its cache (app_cache/modes.py); `bench.py` times the same calls.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from ... import datasets, pretrained, samplers, schedules, shipped
from ...denoisers import Denoiser, NetDenoiser
from ...mixtures import three_modes_1d
from . import generators
from .core import PosteriorView, exact_denoiser_1d, mean_paths, mode_landings, posterior_view, report, report_noise

N_SAMPLES, DIFF_SAMPLER, DIFF_STEPS = 1000, "ddpm", 100  # each panel of the three generators
MODEL_1D = "modes_1d"  # the shipped network trained on samples of the 1D mixture (cosine schedule)


# ---------------------------------------------------------------- 1. three generators

def panel_report(samples: np.ndarray, dataset: str, seed: int = 0) -> dict:
    """`core.report` as plain values: ED and its noise band, and shares / weights / off-mode / modes hit /
    largest error, or None."""
    r = report(torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32)), dataset, seed)
    c = r.coverage
    return {"ed": r.energy_distance, "band": report_noise(dataset, len(samples), seed), "n": len(samples),
            "coverage": None if c is None else {"shares": c.shares.numpy(), "weights": c.weights.numpy(),
                                                "off_mode": c.off_mode, "modes_hit": c.modes_hit,
                                                "max_error": c.max_error}}


@functools.lru_cache(maxsize=8)
def shipped_generator(name: str) -> tuple[generators.GenConfig, list[generators.Snapshot], dict]:
    """The shipped one-shot generator `name` (pretrained.GEN_RECIPES), loaded once: config, snapshots, metadata."""
    return pretrained.load_generator(name)


def generator_steps(name: str) -> list[int]:
    """The training step of each snapshot of a shipped generator (one for the MSE generator)."""
    return [s.step for s in shipped_generator(name)[1]]


def generator_samples(name: str, snapshot: int, n: int = N_SAMPLES, seed: int = 0) -> np.ndarray:
    """n samples of snapshot `snapshot` (an index; -1 is the end of training) of a shipped generator."""
    config, snaps, _ = shipped_generator(name)
    return generators.build(config, snaps[snapshot]).sample(n, seed=seed).numpy()


def generator_run(name: str, dataset: str, seed: int = 0) -> dict:
    """Every kept snapshot of a shipped generator, for the figure that scrubs through them: "steps", N_SAMPLES
    "samples" of each (float32) and each one's `panel_report`."""
    steps = generator_steps(name)
    samples = [generator_samples(name, k, seed=seed).astype(np.float32) for k in range(len(steps))]
    return {"steps": steps, "samples": samples, "reports": [panel_report(x, dataset, seed) for x in samples]}


def diffusion_samples(dataset: str, n: int = N_SAMPLES, seed: int = 0) -> np.ndarray:
    """n samples of the shipped diffusion model of `dataset`, DDPM in DIFF_STEPS steps."""
    return live_diffusion_samples(shipped.denoiser(dataset), n, seed)


def live_diffusion_samples(den: Denoiser, n: int = N_SAMPLES, seed: int = 0) -> np.ndarray:
    """The same for any eps-network's denoiser (a model trained live)."""
    return shipped.run_of(den, DIFF_SAMPLER, DIFF_STEPS, n, seed).samples


def budget(dataset: str) -> dict:
    """What the three generators of `dataset` share and do not: training steps, and the weights of each."""
    gen = generators.Generator(generators.GenConfig())
    return {"steps": pretrained.COMPARE_STEPS[dataset], "generator_weights": sum(p.numel() for p in gen.parameters()),
            "diffusion_weights": shipped.info(dataset)["params"]}


# ---------------------------------------------------------------- 2. the mean walks onto a mode

def posterior(x_t: float, t: int) -> PosteriorView:
    """`core.posterior_view` on the cosine schedule, with the shipped 1D network's guess."""
    return posterior_view(x_t, t, schedules.shipped("cosine"), learned=shipped.denoiser(MODEL_1D))


def paths(learned: bool, n: int, seed: int = 0) -> dict:
    """1D reverse runs of the exact denoiser or of the shipped 1D network, and how many landed on each mode."""
    den = shipped.denoiser(MODEL_1D) if learned else exact_denoiser_1d()
    steps, xs, x0s = mean_paths(den, n, seed)
    landed = torch.bincount(mode_landings(xs[-1]), minlength=len(three_modes_1d()))
    return {"steps": steps.numpy(), "states": xs.numpy(), "guesses": x0s.numpy(), "landed": landed.tolist(),
            "modes": three_modes_1d().means[:, 0].tolist()}


# ---------------------------------------------------------------- 1b. training over time: GAN against diffusion

def _growth_report(samples: np.ndarray, dataset: str) -> tuple[float, int]:
    r = panel_report(samples, dataset)
    return r["ed"], r["coverage"]["modes_hit"]


def training_curves(dataset: str = "ring8") -> dict:
    """Energy distance and modes hit of the shipped GAN at each of its snapshots, and of the diffusion model of
    the same recipe at the same training steps (pretrained.GROWTH), N_SAMPLES samples each."""
    gan_steps = generator_steps(f"gan_{dataset}")
    gan = [_growth_report(generator_samples(f"gan_{dataset}", i), dataset) for i in range(len(gan_steps))]
    name = next(k for k, v in pretrained.GROWTH.items() if v == dataset)
    _, nets, _ = growth(name)
    diff = [_growth_report(live_diffusion_samples(NetDenoiser(net)), dataset) for _, net in nets]
    return {"gan": {"steps": gan_steps, "ed": [e for e, _ in gan], "modes": [m for _, m in gan]},
            "diffusion": {"steps": [s for s, _ in nets], "ed": [e for e, _ in diff], "modes": [m for _, m in diff]},
            "modes": len(datasets.mixture(dataset)), "band": report_noise(dataset, N_SAMPLES)}


@functools.lru_cache(maxsize=2)
def growth(name: str):
    """A shipped file of one diffusion model's weights along its training, loaded once."""
    return pretrained.load_growth(name)


# ---------------------------------------------------------------- 2b. where many runs land, and the error map

LANDING_RUNS = 3000


def landing_shares(learned: bool, seed: int = 0) -> dict:
    """The share of LANDING_RUNS 1D reverse runs that lands on each mode, exact denoiser or shipped network,
    next to the modes' weights."""
    den = shipped.denoiser(MODEL_1D) if learned else exact_denoiser_1d()
    _, xs, _ = mean_paths(den, LANDING_RUNS, seed)
    mix = three_modes_1d()
    counts = torch.bincount(mode_landings(xs[-1]), minlength=len(mix)).double()
    return {"shares": (counts / LANDING_RUNS).tolist(), "weights": mix.weights.tolist(),
            "modes": mix.means[:, 0].tolist(), "runs": LANDING_RUNS}


ERROR_STEPS = tuple(range(1, 1001, 10))  # 1-based steps of the error map's columns
ERROR_VALUES = torch.linspace(-2.5, 2.5, 101)  # its rows: the slider's range of x_t, every 0.05
NEAR = 0.2  # "close to the exact mean"
MASS = 0.99  # share of where x_t lies that counts as "where the data is"


def mean_error_map() -> dict:
    """|network's x0_hat - exact E[x0 | x_t]| over steps t (columns) and noisy values x_t (rows), the network's
    guess clipped as the samplers clip it; the last step up to which it stays under NEAR at every x_t, and the
    worst point of the map below that step and above it."""
    sched = schedules.shipped("cosine")
    net, mix = shipped.denoiser(MODEL_1D), three_modes_1d()
    cols = []
    for t in ERROR_STEPS:
        x, sigma = schedules.from_vp(ERROR_VALUES[:, None], float(sched.alpha_bar[t - 1]))
        learned = net(x, sigma).clamp(-samplers.X0_CLIP, samplers.X0_CLIP)
        cols.append((learned - mix.posterior_mean(x, sigma)).abs()[:, 0])
    err = torch.stack(cols, 1)  # (values, steps)
    # where x_t lies: the noised density at each step, normalised over the map's rows
    dens = torch.stack([mix.noised_vp(float(sched.alpha_bar[t - 1])).log_prob(ERROR_VALUES[:, None]).exp()
                        for t in ERROR_STEPS], 1)
    mass = ((err < NEAR) * dens / dens.sum(0, keepdim=True)).sum(0)  # (steps,) share of x_t within NEAR
    everywhere = _last_step_before(err.max(0).values >= NEAR)
    by_mass = _last_step_before(mass < MASS)
    below = err[:, [j for j, t in enumerate(ERROR_STEPS) if t <= (by_mass or 0)]]
    i, j = divmod(int(below.argmax()), below.shape[1]) if below.numel() else (0, 0)
    return {"steps": list(ERROR_STEPS), "values": ERROR_VALUES.numpy(), "error": err.numpy(), "near": NEAR,
            "everywhere_to": everywhere, "mass": MASS, "mass_to": by_mass,
            "worst_below": {"t": ERROR_STEPS[j], "x_t": float(ERROR_VALUES[i]), "error": float(below[i, j])}
            if below.numel() else None}


def _last_step_before(fails: torch.Tensor) -> int | None:
    """The last map step before the first column that fails (None if the first does; the last step if none)."""
    bad = fails.nonzero().flatten()
    if not len(bad):
        return ERROR_STEPS[-1]
    return ERROR_STEPS[int(bad[0]) - 1] if int(bad[0]) > 0 else None
