"""The command line behind `python -m diffusion_core`: data, train, sample, bench, pretrain.

Bad arguments end with one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from . import datasets, metrics, models, pretrained, samplers, training


class UsageError(Exception):
    """A bad argument: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would print the whole usage block
        raise UsageError(f"{self.prog}: {message}")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text}")
    return value


def _dataset(text: str) -> str:
    if text not in datasets.NAMES:
        raise argparse.ArgumentTypeError(f"unknown dataset {text!r}; valid: {', '.join(datasets.NAMES)}")
    return text


def _out_path(path: str) -> Path:
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"cannot write {path}: it is a folder; give a file name")
    if not p.parent.exists():
        raise UsageError(f"cannot write {path}: folder {p.parent} does not exist")
    return p


def _save_points(points: torch.Tensor, path: str) -> None:
    """Write (n, 2) points as .npy at exactly `path` (np.save on a name would append .npy)."""
    out = _out_path(path)
    with open(out, "wb") as f:
        np.save(f, points.numpy())


def _progress(record: training.TrainRecord) -> None:
    sys.stderr.write(f"\r{100 * record.fraction:5.1f}%  step {record.step:>6}  loss {record.loss:.4f}  "
                     f"{record.elapsed:5.1f} s")
    sys.stderr.flush()


def cmd_data(args) -> None:
    _save_points(datasets.load(args.dataset, args.n, seed=args.seed), args.out)


def cmd_train(args) -> None:
    out = _out_path(args.out)
    net = models.EpsMLP(models.ModelConfig(seed=args.seed))
    data, jitter = datasets.training_set(args.dataset, args.seed)
    record = None
    for record in training.train(net, data, seconds=args.seconds, steps=args.steps, seed=args.seed,
                                 jitter=jitter):
        _progress(record)
    sys.stderr.write("\n")
    models.save_checkpoint(net, out, {"dataset": args.dataset, "steps": record.step, "seed": args.seed,
                                      "seconds": round(record.elapsed, 2)})


def _denoiser(args) -> models.NetDenoiser:
    if args.checkpoint:
        if not Path(args.checkpoint).is_file():
            raise UsageError(f"checkpoint {args.checkpoint} does not exist")
        net, _ = models.load_checkpoint(args.checkpoint)
    elif args.dataset == "dino":
        net, _ = pretrained.load("dino")
    else:
        raise UsageError(f"no shipped model for {args.dataset!r}: train one with `train` "
                         "and pass it with --checkpoint")
    return models.NetDenoiser(net)


def cmd_sample(args) -> None:
    _out_path(args.out)  # fail before sampling, not after
    x = samplers.sample(_denoiser(args), args.n, sampler=args.sampler, steps=args.steps, seed=args.seed)
    _save_points(x, args.out)


def cmd_bench(args) -> None:
    """Print one JSON object: training speed and dino quality, shipped model quality, sampling time."""
    result = {"threads": torch.get_num_threads()}
    net = models.EpsMLP(models.ModelConfig(seed=args.seed))
    record = None
    data, jitter = datasets.training_set("dino")
    for record in training.train(net, data, seconds=args.seconds, seed=args.seed, jitter=jitter):
        pass
    result["train"] = {"budget_seconds": args.seconds, "seconds": round(record.elapsed, 2),
                       "steps": record.step, "steps_per_second": round(record.step / record.elapsed, 1)}
    shipped, _ = pretrained.load("dino")
    for key, model in (("trained", net), ("shipped", shipped)):
        x = samplers.sample(models.NetDenoiser(model), 1000, sampler="ddpm", seed=args.seed + 1)
        q = metrics.dino_quality(x, seed=args.seed)
        result[key] = {"ed": round(q.energy_distance, 5), "s2d": round(q.sample_to_data, 4),
                       "sampler": "ddpm, all T steps", "samples": 1000}
    floor = metrics.dino_quality(datasets.load("dino", 1000, seed=args.seed + 7), seed=args.seed)
    result["data_vs_data"] = {"ed": round(floor.energy_distance, 5), "s2d": round(floor.sample_to_data, 4)}
    den = models.NetDenoiser(shipped)
    samplers.sample(den, 100, sampler="ddim", steps=50)  # warm-up
    times = []
    for _ in range(3):
        start = time.perf_counter()
        samplers.sample(den, 10_000, sampler="ddim", steps=50, seed=args.seed)
        times.append(time.perf_counter() - start)
    result["sample_10000_ddim50_seconds"] = round(sorted(times)[1], 3)  # median of 3
    print(json.dumps(result))


def _median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(sorted(times)[len(times) // 2], 4)


def cmd_bench_modes(args) -> None:
    """Print one JSON object: seconds of core work plus figure building behind each control of
    "Means and modes", uncached (the first reader to ask for a setting pays it; the app caches it
    for everyone after). Median of --repeats runs; the target is 0.3 s."""
    from . import generators, modes, plots, schedules

    cosine = schedules.make("cosine", 1000)
    learned_1d = models.NetDenoiser(pretrained.load("modes_1d")[0])
    # loaded once, as the app's resource cache holds them
    gens = {name: pretrained.load_generator(name)[:2] for name in pretrained.GEN_RECIPES}
    nets = {name: models.NetDenoiser(pretrained.load(name)[0])
            for name in [*pretrained.COMPARED] + [f"memo_{n}" for n in pretrained.MEMO_SIZES]}

    def figure(fig):  # what Streamlit sends: the figure as JSON
        return fig.to_json()

    def panel(x, dataset):  # one generator's panel: metrics, samples, coverage bars
        r = modes.report(x, dataset)
        figure(plots.samples_panel(x, None, title="t"))
        if r.coverage is not None:
            figure(plots.coverage_bars(r.coverage.shares, r.coverage.weights, r.coverage.off_mode, title="t"))

    def generator_samples(name, index):
        config, snaps = gens[name]
        return generators.build(config, snaps[index]).sample(1000, seed=0)

    def data_set(dataset):
        for kind in ("mse", "gan"):
            panel(generator_samples(f"{kind}_{dataset}", -1), dataset)
        panel(samplers.sample(nets[dataset], 1000, sampler="ddpm", steps=100, seed=0), dataset)

    def posterior(x_t, t):
        v = modes.posterior_view(x_t, t, cosine, learned=learned_1d)
        figure(plots.posterior_bars(v.centres, v.posterior, prior=v.prior, mean=v.mean,
                                    learned_mean=v.learned_mean, observed=v.observed, title="t"))

    def paths(n, seed):
        for den in (modes.exact_denoiser_1d(cosine), learned_1d):
            steps, xs, x0s = modes.mean_paths(den, n, seed)
            figure(plots.mean_paths(steps, xs, x0s, title="t"))

    def memo(n):
        run = modes.memorization_run(nets[f"memo_{n}"], n)
        figure(plots.distance_histograms({"a": run.network.sample_distances, "b": run.ideal.sample_distances,
                                          "c": run.network.fresh_distances}, title="t", radius=run.network.radius))

    r = args.repeats
    result = {"threads": torch.get_num_threads(), "repeats": r, "target_seconds": 0.3,
              "posterior_slider": max(_median_seconds(lambda: posterior(x, t), r)
                                      for x in (-2.5, 0.3, 2.5) for t in (0, 500, 999)),
              "gan_snapshot_slider": max(_median_seconds(lambda: panel(generator_samples(f"gan_{d}", i), d), r)
                                         for d in pretrained.COMPARED for i in (0, 11)),
              "paths_runs_or_seed_slider": max(_median_seconds(lambda: paths(n, 0), r) for n in (1, 8)),
              "data_set_select": {d: _median_seconds(lambda: data_set(d), r) for d in pretrained.COMPARED},
              "memorization_dial": {n: _median_seconds(lambda: memo(n), r) for n in pretrained.MEMO_SIZES}}
    print(json.dumps(result))


def cmd_bench_scores(args) -> None:
    """Print one JSON object: seconds behind each control of "Score fields", uncached (as bench-modes),
    and the scrubber's re-render once the run is computed (the bar: 1,000 particles, 200 steps, < 1 s)."""
    from . import datasets, metrics, modes, plots, schedules, scores

    ring8, two = datasets.mixture("ring8"), datasets.mixture("two_gaussians")
    net = models.NetDenoiser(pretrained.load("ring8")[0])
    data = datasets.load("two_gaussians", 2000)
    cosine = schedules.make("cosine", 1000)

    def figure(fig):
        return fig.to_json()

    def field(sigma):
        v = scores.field_view(ring8, net, sigma)
        for vec in (v.exact, v.learned):
            figure(plots.score_field(v.axis, v.log_density, v.points, vec, title="t", lim=2.6, cell=0.2))
        figure(plots.error_map(v.axis, v.error_map, contour=v.log_density, title="t", lim=2.6))

    def run(steps, step_size):
        r = scores.follow(two, steps=steps, step_size=step_size, noise_scale=1.0)
        for x in r.final.values():
            metrics.mode_coverage(x, two)
        return r

    def scrub(r, i):
        for method in scores.METHODS:
            figure(plots.samples_panel(r.states[method][i], data, title="t", size=5))
        figure(plots.mode_weights({m: [0.5, 0.5] for m in scores.METHODS}, [0.2, 0.8], title="t"))

    dsm_points = datasets.load("ring8", 64, seed=3)

    def dsm(sigma, seed):
        x, pic = scores.dsm_example(dsm_points, sigma, seed)
        figure(plots.dsm_arrows(dsm_points, x, pic.targets * sigma**2, pic.weights, pic.score * sigma**2, title="t"))

    def ode(steps, runs):
        v = scores.ode_sde_view(modes.exact_denoiser_1d(cosine), steps, runs)
        for path in v.paths.values():
            figure(plots.density_paths(v.density_steps, v.grid, v.log_density, {"p": path}, title="t", T=1000))

    r = args.repeats
    run200 = run(200, 0.005)
    result = {"threads": torch.get_num_threads(), "repeats": r, "target_seconds": 0.3,
              "sigma_slider": max(_median_seconds(lambda: field(s), r) for s in (0.02, 0.3, 5.0)),
              "dynamics_run_uncached": {str(n): _median_seconds(lambda: run(n, 0.005), r) for n in (200, 500, 1000)},
              "scrub_1000_particles_200_steps": max(_median_seconds(lambda: scrub(run200, i), r) for i in (0, 50, 100)),
              "dsm_sliders": max(_median_seconds(lambda: dsm(s, k), r) for s in (0.02, 2.0) for k in (0, 9)),
              "ode_sliders": max(_median_seconds(lambda: ode(n, 12), r) for n in (5, 250))}
    print(json.dumps(result))


def cmd_bench_spectra(args) -> None:
    """Print one JSON object: seconds behind each control of "Spectral bands", uncached (as bench-modes)."""
    from . import convnet, plots, schedules, spectra

    scheds = {name: schedules.make(name, 50 if name == "gentle" else 1000) for name in schedules.NAMES}
    photos = {name: spectra.prepare(spectra.load_image(name)) for name in spectra.IMAGES}
    conv = convnet.ConvNetDenoiser(pretrained.load_conv()[0])

    def figure(fig):
        return fig.to_json()

    def image(name):  # a new photograph: its spectrum, fit and the three spectra-dependent figures
        f, p = spectra.rapsd(photos[name])
        law = spectra.fit_power_law(f, p)
        figure(plots.image_panel(photos[name], title="t"))
        for sched in scheds.values():
            spectra.crossing_frequency(law, sched.alpha_bar)
            spectra.steps_per_octave(law, sched)
        return law

    law = image("camera")

    def tide(frac, name="cosine"):  # the t slider reruns its fragment: all seven of its figures
        sched = scheds[name]
        ab = float(sched.alpha_bar[max(0, round(frac * sched.T) - 1)])
        x_t = spectra.noised(photos["camera"], ab)
        figure(plots.image_panel(photos["camera"], title="t"))
        figure(plots.image_panel(x_t, title="t"))
        figure(plots.image_panel(spectra.wiener(x_t, law, ab), title="t"))
        f, p = spectra.rapsd(photos["camera"])
        figure(plots.spectra_plot({"s": (f, ab * p), "fit": (f, ab * law(f))}, flat={"n": 1 - ab},
                                  marker=float(spectra.crossing_frequency(law, ab)), title="t"))
        figure(plots.response_curve(f, spectra.signal_share(law, ab, f), title="t"))
        curves = {n: (torch.arange(1, sc.T + 1) / sc.T, spectra.crossing_frequency(law, sc.alpha_bar))
                  for n, sc in scheds.items()}
        figure(plots.crossing_curves(curves, marker=frac, title="t"))
        figure(plots.octave_bars({n: spectra.steps_per_octave(law, sc) for n, sc in scheds.items()}, spectra.OCTAVES,
                                 title="t"))

    def run(seed):
        r = spectra.exact_run(law, scheds["cosine"], seed)
        spectra.settling_steps(r)
        for img in r.x0_hat[::20, 0]:
            figure(plots.image_panel(img, title="t", height=230))

    r = args.repeats
    result = {"threads": torch.get_num_threads(), "repeats": r, "target_seconds": 0.3,
              "image_select": max(_median_seconds(lambda: image(n), r) for n in spectra.IMAGES),
              "t_slider": max(_median_seconds(lambda: tide(fr, s), r) for fr in (0.0, 0.5, 1.0)
                              for s in ("linear", "cosine")),
              "exact_run_seed_slider": max(_median_seconds(lambda: run(k), r) for k in (0, 9)),
              "learned_run_first_view": _median_seconds(lambda: spectra.learned_run(conv), r)}
    print(json.dumps(result))


def cmd_bench_optimization(args) -> None:
    """Print one JSON object: seconds to compute the compute-against-quality curves of "Sampling as
    optimization" the first time (the app caches them after), per data set, the target being 5 s; and
    section 2's first-time costs per step count: the distance panels and clouds for a new momentum,
    and the momentum scan."""
    from . import datasets, optimization, schedules

    def curves(dataset):
        dens = [models.NetDenoiser(pretrained.load(dataset)[0])]
        if dataset in datasets.MIXTURES:
            dens.append(models.MixtureDenoiser(datasets.mixture(dataset), schedules.make("cosine", 1000)))
        for den in dens:
            for name in optimization.SAMPLERS:
                optimization.quality_curve(den, name, dataset)

    from .mixtures import EmpiricalSet

    net = models.NetDenoiser(pretrained.load("dino")[0])
    ideal = models.MixtureDenoiser(EmpiricalSet(datasets.load("dino")), net.schedule)
    points = datasets.load("dino")

    def descent(steps, gamma):  # section 2: a new step count or momentum redraws the two distance panels
        for den in (net, ideal):
            optimization.distance_trace(optimization.descent_samples(den, 5, steps, gamma), points)
        optimization.descent_samples(net, optimization.CURVE_SAMPLES, steps, gamma)

    def scan(steps):  # section 2: a new step count also rescans every momentum, once
        for den in (net, ideal):
            optimization.momentum_scan(den, "dino", steps)

    steps_options = (5, 10, 20, 50, 100)
    print(json.dumps({"threads": torch.get_num_threads(), "repeats": args.repeats, "target_seconds": 5.0,
                      "first_view_seconds": {d: _median_seconds(lambda: curves(d), args.repeats)
                                             for d in ("dino", "ring8")},
                      "descent_redraw_seconds": {s: _median_seconds(lambda: descent(s, 2.0), args.repeats)
                                                 for s in steps_options},
                      "momentum_scan_seconds": {s: _median_seconds(lambda: scan(s), args.repeats)
                                                for s in steps_options}}))


def cmd_bench_playground(args) -> None:
    """Print one JSON object for the Playground: what its default settings train in their budget on the
    dino and how good that is (the project's bar: ED <= 0.003, s2d <= 0.042, 1,000 DDPM samples over all
    T steps); and the seconds and bytes behind the sampling view, at its defaults and at its largest."""
    from . import playground, plots

    settings = playground.Settings()
    data = playground.built_in("dino")
    records: list = []
    job = playground.train_job(data.points, vars(settings).copy(), data.jitter, seconds=settings.seconds)
    state = pretrained._run_job(job, on_record=records.append)
    net = playground.build(settings, state)
    x = samplers.sample(models.NetDenoiser(net), 1000, sampler="ddpm", seed=1)
    q = metrics.dino_quality(x, seed=1)
    shipped = pretrained.load("dino")[0]
    points = data.in_data_units()

    def view(sampler, steps, n):
        run = playground.sample_run(shipped, n, sampler, steps)
        fig = plots.animated_run(run.states, run.labels, points, title="bench")
        return len(fig.to_json())

    sizes = {}
    result = {"threads": torch.get_num_threads(), "repeats": args.repeats,
              "default_training": {"seconds": settings.seconds, "steps": records[-1].step if records else 0,
                                   "ed": round(q.energy_distance, 5), "s2d": round(q.sample_to_data, 4),
                                   "bar": {"ed": 0.003, "s2d": 0.042}},
              "sampling_view_seconds": {}, "sampling_view_bytes": {}}
    for name, (sampler, steps, n) in {"default (ddim, 50 steps, 1000 samples)": ("ddim", 50, 1000),
                                      "largest (ddpm, 1000 steps, 5000 samples)": ("ddpm", 1000, 5000)}.items():
        result["sampling_view_seconds"][name] = _median_seconds(
            lambda: sizes.__setitem__(name, view(sampler, steps, n)), args.repeats)
        result["sampling_view_bytes"][name] = sizes[name]
    print(json.dumps(result))


def cmd_pretrain(args) -> None:
    for name in args.only or list(pretrained.ALL):
        meta = pretrained.remake(name, on_record=_progress)
        sys.stderr.write(f"\n{name}: {meta['steps']} steps in {meta['seconds']} s\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m diffusion_core", description=__doc__)
    # One thread: these small models run no faster on two, and two runs with two threads each
    # on a 2-core machine thrash (measured: 50 training steps in 10 s instead of 3,300).
    p.add_argument("--threads", type=_positive_int, default=1, help="torch intra-op threads (default: 1)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    s = sub.add_parser("data", help="write the canonical points of a dataset to .npy")
    s.add_argument("--dataset", type=_dataset, required=True)
    s.add_argument("--n", type=_positive_int, default=None, help="number of points (default: the set's own)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True)
    s.set_defaults(run=cmd_data)

    s = sub.add_parser("train", help="train a Fourier-feature denoiser and save a checkpoint")
    s.add_argument("--dataset", type=_dataset, required=True)
    s.add_argument("--seconds", type=_positive_float, default=15.0)
    s.add_argument("--steps", type=_positive_int, default=None, help="fixed step count (reproducible)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True)
    s.set_defaults(run=cmd_train)

    s = sub.add_parser("sample", help="sample points from shipped weights or a checkpoint to .npy")
    s.add_argument("--dataset", type=_dataset, default="dino")
    s.add_argument("--n", type=_positive_int, default=1000)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--steps", type=_positive_int, default=None, help="sampling steps (default: all T)")
    s.add_argument("--sampler", choices=samplers.NAMES, default="ddpm")
    s.add_argument("--checkpoint", default=None)
    s.add_argument("--out", required=True)
    s.set_defaults(run=cmd_sample)

    s = sub.add_parser("bench", help="print training speed, dino quality and sampling time as JSON")
    s.add_argument("--seconds", type=_positive_float, default=10.0)
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(run=cmd_bench)

    s = sub.add_parser("bench-modes", help="print seconds behind each control of Means and modes as JSON")
    s.add_argument("--repeats", type=_positive_int, default=3)
    s.set_defaults(run=cmd_bench_modes)

    s = sub.add_parser("bench-scores", help="print seconds behind each control of Score fields as JSON")
    s.add_argument("--repeats", type=_positive_int, default=3)
    s.set_defaults(run=cmd_bench_scores)

    s = sub.add_parser("bench-spectra", help="print seconds behind each control of Spectral bands as JSON")
    s.add_argument("--repeats", type=_positive_int, default=3)
    s.set_defaults(run=cmd_bench_spectra)

    s = sub.add_parser("bench-optimization", help="print the seconds the compute-vs-quality curves take")
    s.add_argument("--repeats", type=_positive_int, default=1)
    s.set_defaults(run=cmd_bench_optimization)

    s = sub.add_parser("bench-playground", help="print what the Playground's defaults train and how fast it samples")
    s.add_argument("--repeats", type=_positive_int, default=1)
    s.set_defaults(run=cmd_bench_playground)

    s = sub.add_parser("pretrain", help="remake the shipped weights deterministically")
    s.add_argument("--only", nargs="*", choices=list(pretrained.ALL), default=None)
    s.set_defaults(run=cmd_pretrain)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        torch.set_num_threads(args.threads)
        args.run(args)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
