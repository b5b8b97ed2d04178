"""The one place the pages cache core calls: Streamlit caching at the page/core boundary.

`st.cache_resource` holds loaded models (shared, never copied); `st.cache_data` holds arrays
(numpy, copied on each hit so a page cannot corrupt the cache). Every cache is bounded by
`max_entries`, so memory stays flat with many readers. The functions only wrap pure calls
into `diffusion_core`; none of them draws anything.
"""

from __future__ import annotations

import math
import os

import numpy as np
import streamlit as st
import torch

from diffusion_core import (convnet, datasets, generators, inputs, metrics, mixtures, models, modes, optimization,
                            playground, pretrained, samplers, schedules, scores, spectra, turns, worker)

# Step count of each schedule as the shipped models use it (linear and cosine: 1000, gentle: 50).
SCHEDULE_T = {"linear": 1000, "cosine": 1000, "gentle": 50}
# What a page says when a shipped file is missing or unreadable (the pages never crash on it).
MISSING_WEIGHTS = ("The shipped weights `{name}` could not be loaded ({err}). Remake them with "
                   "`python -m diffusion_core pretrain`.")
# Seconds of live retraining per rung of the ablation ladder. A module constant, so a test can
# shorten it without the page knowing; GD_RETRAIN_SECONDS overrides it for a whole server (the
# browser tests use 1 s; a host with a slow CPU may want more).
def _seconds_from_env(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if 0 < value < 3600 else default


RETRAIN_SECONDS = _seconds_from_env("GD_RETRAIN_SECONDS", 10.0)
# Seconds of live training of the image denoiser ("Spectral bands"): about a minute, as the page says.
CONV_SECONDS = _seconds_from_env("GD_CONV_SECONDS", 60.0)


@st.cache_resource(max_entries=1, show_spinner=False)
def training_line() -> turns.TurnQueue:
    """The one process-wide line every live training waits in (first come, first served).

    One slot: there is one training process (`training_worker`), so a training keeps one core to
    itself and page runs keep the other (2 cores; README, Load).
    """
    return turns.TurnQueue(slots=1)


@st.cache_resource(max_entries=1, show_spinner=False)
def training_worker() -> worker.Worker:
    """The child process live trainings run in, off the server's interpreter lock (diffusion_core.worker).

    Started at once, so that a page with a training button can have it ready before the first click.
    """
    w = worker.Worker()
    w.start()
    return w


@st.cache_resource(max_entries=24, show_spinner=False)  # every shipped model: Means and modes alone uses 13
def denoiser(name: str) -> models.NetDenoiser:
    """The shipped network `name` (pretrained.RECIPES) wrapped as a denoiser."""
    net, _ = pretrained.load(name)
    return models.NetDenoiser(net)


@st.cache_resource(max_entries=4, show_spinner=False)
def schedule(name: str) -> schedules.Schedule:
    """The schedule `name` with the step count of the shipped models."""
    return schedules.make(name, SCHEDULE_T[name])


@st.cache_data(max_entries=16, show_spinner=False)
def points(dataset: str, n: int | None = None, seed: int = 0) -> np.ndarray:
    """Points of a dataset in the canonical frame, (n, 2)."""
    return datasets.load(dataset, n, seed=seed).numpy()


@st.cache_data(max_entries=8, show_spinner=False)
def schedule_curves() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """alpha_bar and SNR over the steps of every schedule, {name: (alpha_bar, snr)}."""
    return {name: (schedule(name).alpha_bar.numpy(), schedule(name).snr.numpy())
            for name in schedules.NAMES}


@st.cache_data(max_entries=256, show_spinner=False)
def forward_noised(dataset: str, schedule_name: str, t: int, n: int = 1000, seed: int = 0) -> np.ndarray:
    """x_t at 0-based step t for n points of `dataset`, with one fixed eps per point (Ho et al. eq. 4).

    The same eps at every t, so scrubbing t shows each point drifting into the noise.
    """
    x0 = datasets.load(dataset, n, seed=seed)
    eps = samplers.prior(n, 2, torch.Generator().manual_seed(seed + 1))
    return schedules.q_sample(x0, eps, schedule(schedule_name).alpha_bar[t]).numpy()


@st.cache_resource(max_entries=8, show_spinner=False)
def ideal_denoiser(dataset: str, schedule_name: str, n: int = 1000, seed: int = 0) -> models.MixtureDenoiser:
    """The exact denoiser of `dataset`: its Gaussian mixture, or the empirical set of its points."""
    if dataset in datasets.MIXTURES:
        mix = datasets.mixture(dataset)
    elif dataset == "dino":
        mix = mixtures.EmpiricalSet(datasets.load("dino"))  # the 142 points the models train on
    else:
        mix = mixtures.EmpiricalSet(datasets.load(dataset, n, seed=seed))
    return models.MixtureDenoiser(mix, schedule(schedule_name))


@st.cache_data(max_entries=256, show_spinner=False)
def drift(dataset: str, schedule_name: str, t: int, n_arrows: int = 150, n: int = 1000,
          seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The first n_arrows points x_t of `forward_noised(...)` and the ideal drift E[x0 | x_t] - x_t there."""
    x_t = torch.from_numpy(forward_noised(dataset, schedule_name, t, n, seed)[:n_arrows])  # (A, 2)
    x0_hat = ideal_denoiser(dataset, schedule_name, n, seed).x0_hat(x_t, t)  # exact E[x0 | x_t]
    return x_t.numpy(), (x0_hat - x_t).numpy()


@st.cache_data(max_entries=32, show_spinner=False)
def trajectory(model: str, sampler: str, steps: int | None, n: int, seed: int = 0
               ) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """A whole reverse run of a shipped model: states (S + 1, n, 2), x0_hat (S, n, 2), step indices.

    Same seed, same run as `samples(...)` and the command line's `sample`.
    """
    xs, x0s, ts = samplers.trajectory(denoiser(model), n, sampler=sampler, steps=steps, seed=seed)
    return xs.numpy(), x0s.numpy(), ts


def samples(model: str, sampler: str, steps: int | None, n: int, seed: int = 0) -> np.ndarray:
    """n samples of a shipped model, (n, 2): the end of the cached `trajectory(...)`, same seed."""
    return trajectory(model, sampler, steps, n, seed)[0][-1]


@st.cache_data(max_entries=32, show_spinner=False)
def quality(model: str, sampler: str, steps: int | None, n: int, seed: int = 0) -> tuple[float, float]:
    """(energy distance, s2d) of `samples(...)` of a shipped dino model (metrics.dino_quality)."""
    q = metrics.dino_quality(torch.from_numpy(samples(model, sampler, steps, n, seed)), seed=seed)
    return q.energy_distance, q.sample_to_data


@st.cache_data(max_entries=24, show_spinner=False)
def model_info(name: str) -> dict:
    """Title, size (params, depth, hidden), schedule, T and training record (steps, seconds) of a model."""
    net, meta = pretrained.load(name)
    return {"title": pretrained.RECIPES[name].title, "params": sum(p.numel() for p in net.parameters()),
            "depth": net.config.depth, "hidden": net.config.hidden, "schedule": net.config.schedule,
            "T": net.config.T, **meta}


# ---------------------------------------------------------------- Means and modes

@st.cache_resource(max_entries=8, show_spinner=False)
def generator(name: str) -> tuple[generators.GenConfig, list[generators.Snapshot], dict]:
    """The shipped one-shot generator `name` (pretrained.GEN_RECIPES): config, snapshots, metadata."""
    return pretrained.load_generator(name)


@st.cache_data(max_entries=64, show_spinner=False)
def generator_samples(name: str, snapshot: int, n: int = 1000, seed: int = 0) -> np.ndarray:
    """n samples of snapshot `snapshot` (an index; -1 is the end of training) of a shipped generator."""
    config, snaps, _ = generator(name)
    return generators.build(config, snaps[snapshot]).sample(n, seed=seed).numpy()


@st.cache_data(max_entries=128, show_spinner=False)
def report(samples: np.ndarray, dataset: str, seed: int = 0) -> dict:
    """modes.report of an array of samples, as plain values: ED, and shares / weights / off-mode or None."""
    r = modes.report(torch.from_numpy(samples), dataset, seed)
    c = r.coverage
    return {"ed": r.energy_distance,
            "coverage": None if c is None else {"shares": c.shares.numpy(), "weights": c.weights.numpy(),
                                                "off_mode": c.off_mode, "modes_hit": c.modes_hit,
                                                "max_error": c.max_error}}


@st.cache_data(max_entries=512, show_spinner=False)
def posterior_view(x_t: float, t: int) -> modes.PosteriorView:
    """The binned posterior of the 1D mixture at noisy value x_t and 0-based step t, with the shipped 1D net's guess."""
    return modes.posterior_view(x_t, t, schedule("cosine"), learned=denoiser("modes_1d"))


@st.cache_data(max_entries=32, show_spinner=False)
def mean_paths(learned: bool, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """1D reverse runs (steps, states, guesses) of the exact denoiser or of the shipped 1D network."""
    den = denoiser("modes_1d") if learned else modes.exact_denoiser_1d(schedule("cosine"))
    steps, xs, x0s = modes.mean_paths(den, n, seed)
    return steps.numpy(), xs.numpy(), x0s.numpy()


@st.cache_data(max_entries=24, show_spinner=False)
def memorization(n_train: int, seed: int = 0) -> dict:
    """modes.memorization_run of the shipped network trained on n_train points, as plain arrays and numbers."""
    return memorization_summary(modes.memorization_run(denoiser(f"memo_{n_train}"), n_train, seed))


def memorization_summary(run: modes.MemorizationRun) -> dict:
    """A MemorizationRun as numpy arrays and floats (for the cache and the session state)."""
    out = {"train": run.train.numpy(), "network_samples": run.network_samples.numpy(),
           "ideal_samples": run.ideal_samples.numpy(), "fresh_distances": run.network.fresh_distances.numpy(),
           "radius": run.network.radius, "fresh_share": run.network.fresh_share}
    for key, m in (("network", run.network), ("ideal", run.ideal)):
        out[f"{key}_distances"] = m.sample_distances.numpy()
        out[f"{key}_share"] = m.copy_share
    return out


# ---------------------------------------------------------------- Score fields

FIELD_SET = "ring8"  # the field section: ring8's exact score against the shipped ring8 network
FOLLOW_SET = "two_gaussians"  # the dynamics section: the 1/5 : 4/5 mixture
DSM_POINTS = 64  # clean points in the denoising-score-matching picture


@st.cache_data(max_entries=16, show_spinner=False)
def score_field(sigma: float) -> dict:
    """scores.field_view of ring8 at noise level sigma, as numpy arrays and floats."""
    v = scores.field_view(datasets.mixture(FIELD_SET), denoiser(FIELD_SET), sigma)
    return {"axis": v.axis.numpy(), "points": v.points.numpy(), "exact": v.exact.numpy(),
            "learned": v.learned.numpy(), "log_density": v.log_density.numpy(), "error_map": v.error_map.numpy(),
            "relative_error": v.relative_error, "sigma_used": v.sigma_used}


@st.cache_data(max_entries=8, show_spinner=False)
def follow(steps: int, step_size: float, noise_scale: float) -> dict:
    """scores.follow on the two Gaussians: frames, states per method (float32), and where each ended."""
    mix = datasets.mixture(FOLLOW_SET)
    run = scores.follow(mix, steps=steps, step_size=step_size, noise_scale=noise_scale)
    ends = {}
    for method, x in run.final.items():
        cov = metrics.mode_coverage(x, mix)
        landed = float(cov.shares.sum())
        ends[method] = {"weights": (cov.shares / landed).numpy() if landed > 0 else np.full(len(mix), np.nan),
                        "landed": landed, "run_away": int(scores.run_away(x).sum()),
                        "overshoots": run.overshoots[method]}
    return {"frames": run.frames, "states": {k: v.numpy() for k, v in run.states.items()}, "ends": ends,
            "sigmas": run.sigmas, "truth": mix.weights.numpy()}


@st.cache_data(max_entries=64, show_spinner=False)
def dsm(sigma: float, seed: int) -> dict:
    """A denoising-score-matching picture on DSM_POINTS ring8 points: the noisy x, targets, weights, score."""
    pts = datasets.load(FIELD_SET, DSM_POINTS, seed=3)
    x, pic = scores.dsm_example(pts, sigma, seed)
    return {"points": pts.numpy(), "x": x.numpy(), "to_clean": (pic.targets * sigma**2).numpy(),
            "weights": pic.weights.numpy(), "mean_step": (pic.score * sigma**2).numpy(), "score": pic.score.numpy()}


@st.cache_data(max_entries=16, show_spinner=False)
def ode_sde(steps: int, runs: int, seed: int = 0) -> dict:
    """scores.ode_sde_view of the 1D mixture: its noised density over (t, x), DDPM and DDIM runs."""
    v = scores.ode_sde_view(modes.exact_denoiser_1d(schedule("cosine")), steps, runs, seed)
    return {"density_steps": v.density_steps.numpy(), "grid": v.grid.numpy(), "log_density": v.log_density.numpy(),
            **{name: (ps.numpy(), xs.numpy()) for name, (ps, xs) in v.paths.items()}}


# ---------------------------------------------------------------- Spectral bands

@st.cache_data(max_entries=8, show_spinner=False)
def photo(name: str) -> np.ndarray:
    """A shipped photograph prepared for the spectra page: square, spectra.SIZE pixels, mean 0, variance 1."""
    return spectra.prepare(spectra.load_image(name)).numpy()


@st.cache_data(max_entries=8, show_spinner=False)
def uploaded_photo(data: bytes) -> np.ndarray:
    """A reader's image, validated in memory (inputs.read_image) and prepared like the shipped ones.

    Raises inputs.InputError with a sentence for the reader (also for a flat image, or one under
    spectra.MIN_SIDE pixels a side)."""
    return spectra.prepare(inputs.read_image(data, min_side=spectra.MIN_SIDE)).numpy()


@st.cache_data(max_entries=32, show_spinner=False)
def spectrum(img: np.ndarray) -> dict:
    """RAPSD of an image and its fitted power law."""
    f, p = spectra.rapsd(torch.from_numpy(img))
    law = spectra.fit_power_law(f, p)
    return {"freqs": f.numpy(), "power": p.numpy(), "amplitude": law.amplitude, "slope": law.slope,
            "fit": law(f).numpy()}


@st.cache_data(max_entries=1, show_spinner=False)
def photo_slopes() -> dict[str, float]:
    """The fitted slope of every shipped photograph."""
    return {spectra.IMAGES[name][0]: spectrum(photo(name))["slope"] for name in spectra.IMAGES}


@st.cache_data(max_entries=128, show_spinner=False)
def tide(img: np.ndarray, schedule_name: str, t: int) -> dict:
    """x_t at 0-based step t (fixed noise), the SNR = 1 frequency, and the Wiener estimate of x0 from x_t."""
    ab = float(schedule(schedule_name).alpha_bar[t])
    spec = spectrum(img)
    law = spectra.PowerLaw(spec["amplitude"], spec["slope"])
    x0 = torch.from_numpy(img)
    x_t = spectra.noised(x0, ab)
    x0_hat = spectra.wiener(x_t, law, ab)
    share = spectra.signal_share(law, ab, torch.from_numpy(spec["freqs"]))
    return {"alpha_bar": ab, "x_t": x_t.numpy(), "x0_hat": x0_hat.numpy(),
            "crossing": float(spectra.crossing_frequency(law, ab)), "share": share.numpy(),
            "mse": float((x0_hat - x0).pow(2).mean()), "mse_scaled": float((x_t / math.sqrt(ab) - x0).pow(2).mean())}


@st.cache_data(max_entries=32, show_spinner=False)
def schedule_bands(amplitude: float, slope: float) -> dict:
    """For each schedule: the SNR = 1 frequency over t / T, and the steps whose crossing lies in each octave."""
    law = spectra.PowerLaw(amplitude, slope)
    out = {}
    for name in schedules.NAMES:
        sched = schedule(name)
        crossing = spectra.crossing_frequency(law, sched.alpha_bar)
        out[name] = {"t_frac": (np.arange(1, sched.T + 1) / sched.T), "crossing": crossing.numpy(),
                     "octaves": spectra.steps_per_octave(law, sched).numpy(),
                     "drowned": int((crossing < spectra.OCTAVES[0]).sum())}  # every band under the noise
    return out


def run_summary(run: spectra.ReverseRun, **extra) -> dict:
    """A ReverseRun as the page draws it: a strip of six x0_hat images, their spectra, the settling steps."""
    strip = np.linspace(0, len(run.steps) - 1, 6).round().astype(int)
    return {"steps": [run.steps[i] for i in strip], "images": run.x0_hat[strip, 0].numpy(),
            "freqs": run.freqs.numpy(), "powers": run.band_power[strip].numpy(),
            "settled": spectra.settling_steps(run).numpy(), **extra}


@st.cache_resource(max_entries=1, show_spinner=False)
def conv_denoiser() -> convnet.ConvNetDenoiser:
    """The shipped convolutional denoiser of the photographs."""
    net, _ = pretrained.load_conv()
    return convnet.ConvNetDenoiser(net)


@st.cache_data(max_entries=16, show_spinner=False)
def learned_run(seed: int = 0) -> dict:
    """spectra.learned_run of the shipped convolutional denoiser, drawn like exact_run."""
    return run_summary(spectra.learned_run(conv_denoiser(), seed))


@st.cache_data(max_entries=16, show_spinner=False)
def exact_run(name: str, seed: int = 0) -> dict:
    """spectra.exact_run of the Gaussian model of a shipped photograph's spectrum (fitted at the run's size):
    a strip of x0_hat, band powers, settling steps."""
    f, p = spectra.rapsd(spectra.prepare(spectra.load_image(name), spectra.RUN_SIZE))
    law = spectra.fit_power_law(f, p)
    return run_summary(spectra.exact_run(law, schedule("cosine"), seed), slope=law.slope)


# ---------------------------------------------------------------- Sampling as optimization

@st.cache_data(max_entries=4, show_spinner=False)
def quality_curves(dataset: str) -> dict:
    """optimization.quality_curve of every sampler on the shipped model of `dataset` (and, for a mixture,
    its exact denoiser): {"network": {sampler: (nfe, ed)}, "exact": {...} or None}."""
    def curves(den):
        return {name: tuple(vars(optimization.quality_curve(den, name, dataset)).values())
                for name in optimization.SAMPLERS}

    exact = None
    if dataset in datasets.MIXTURES:
        exact = curves(models.MixtureDenoiser(datasets.mixture(dataset), schedule("cosine")))
    return {"network": curves(denoiser(dataset)), "exact": exact}


DESCENT_SET = "dino"  # section 2 measures distances to the 142 points the dino model trains on


@st.cache_data(max_entries=32, show_spinner=False)
def descent_traces(steps: int, gamma: float, traced: int = 5) -> dict:
    """optimization.distance_trace of `traced` descent runs (same start points) with the shipped
    network and the ideal denoiser of the dino's points: {name: (sigmas, nearest, smoothed)} as numpy."""
    points = datasets.load(DESCENT_SET)
    out = {}
    for name, den in (("network", denoiser(DESCENT_SET)), ("ideal", ideal_denoiser(DESCENT_SET, "cosine"))):
        trace = optimization.distance_trace(optimization.descent_samples(den, traced, steps, gamma), points)
        out[name] = tuple(v.numpy() for v in vars(trace).values())
    return out


@st.cache_data(max_entries=8, show_spinner=False)
def momentum_scan(steps: int) -> dict:
    """Energy distance at each optimization.MOMENTA for the shipped dino network and the ideal denoiser."""
    return {name: optimization.momentum_scan(den, DESCENT_SET, steps)
            for name, den in (("network", denoiser(DESCENT_SET)), ("ideal", ideal_denoiser(DESCENT_SET, "cosine")))}


@st.cache_data(max_entries=32, show_spinner=False)
def descent_cloud(steps: int, gamma: float) -> np.ndarray:
    """The shipped dino network's descent samples (CURVE_SAMPLES, seed 0) at `steps` steps and momentum gamma."""
    run = optimization.descent_samples(denoiser(DESCENT_SET), optimization.CURVE_SAMPLES, steps, gamma)
    return run.states[-1].numpy()


# ---------------------------------------------------------------- Playground

@st.cache_data(max_entries=8, show_spinner=False)
def playground_builtin(name: str) -> playground.TrainingData:
    """A built-in set as the Playground trains on it (playground.built_in)."""
    return playground.built_in(name)


@st.cache_data(max_entries=8, show_spinner=False)
def playground_csv(data: bytes, filename: str) -> playground.TrainingData:
    """An uploaded CSV's points, standardised; a bad file raises inputs.InputError (not cached)."""
    return playground.from_csv(data, filename)


@st.cache_data(max_entries=16, show_spinner=False)
def playground_word(text: str) -> playground.TrainingData:
    """The points of a typed word; a word that cannot be drawn raises inputs.InputError (not cached)."""
    return playground.from_word(text)


@st.cache_data(max_entries=16, show_spinner=False)
def playground_run(model_id: str, _net: models.EpsMLP, _data: np.ndarray | None, yardstick: str, sampler: str,
                   steps: int, n: int, seed: int) -> tuple[playground.Run, metrics.Quality | None]:
    """playground.sample_run of the reader's model `model_id` (a fresh id for every trained or loaded model,
    which also fixes `_data`, the canonical points it was trained on, or None for a loaded model), and the
    samples' quality: the project's dino yardstick when `yardstick` is "dino", else against (at most 5,000
    of) the training points."""
    run = playground.sample_run(_net, n, sampler, steps, seed)
    samples = torch.as_tensor(run.samples)
    if _data is None:
        return run, None
    if yardstick == "dino":
        return run, metrics.dino_quality(samples)
    return run, metrics.quality(samples, torch.as_tensor(_data[:5000]))
