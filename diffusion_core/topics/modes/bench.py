"""Seconds behind each control of "Means and modes": the core work plus the figures turned into JSON, with
the models already loaded and no app cache hit (the first reader to ask for a setting pays this)."""

from __future__ import annotations

from ... import bench, pretrained
from ...figures import samples_panel
from . import figures, views

REPEATS = 3


def run(repeats: int) -> dict:
    def panel(samples, dataset):  # one generator's panel: samples, metrics, coverage bars
        bench.figure(samples_panel(samples, None, title="t"))
        rep = views.panel_report(samples, dataset)
        if rep["coverage"] is not None:
            c = rep["coverage"]
            bench.figure(figures.coverage_bars(c["shares"], c["weights"], c["off_mode"], title="t"))

    def data_set(dataset):  # the select: all three panels
        for kind in ("mse", "gan"):
            name = f"{kind}_{dataset}"
            panel(views.generator_samples(name, len(views.generator_steps(name)) - 1), dataset)
        panel(views.diffusion_samples(dataset), dataset)
        views.budget(dataset)

    def posterior(x_t, t):
        v = views.posterior(x_t, t)
        bench.figure(figures.posterior_bars(v.centres, v.posterior, prior=v.prior, mean=v.mean,
                                            learned_mean=v.learned_mean, observed=v.observed, title="t"))

    def paths(n, seed):
        for learned in (False, True):
            r = views.paths(learned, n, seed)
            bench.figure(figures.mean_paths(r["steps"], r["states"], r["guesses"], modes=r["modes"], T=1000, title="t"))

    def memo(n):
        r = views.memorization(n)
        for key in ("network", "ideal"):
            bench.figure(figures.memorization_panel(r[f"{key}_samples"], r["train"], title="t"))
        bench.figure(figures.distance_histograms({"a": r["network_distances"], "b": r["ideal_distances"],
                                                  "c": r["fresh_distances"]}, radius=r["radius"], title="t"))

    for name in pretrained.GEN_RECIPES:  # loaded once, as the app holds them
        views.shipped_generator(name)
    return {"target_seconds": 0.3,
            "posterior_slider": max(bench.median_seconds(lambda: posterior(x, t), repeats)
                                    for x in (-2.5, 0.3, 2.5) for t in (0, 500, 999)),
            "gan_snapshot_slider": max(bench.median_seconds(
                lambda: panel(views.generator_samples(f"gan_{d}", i), d), repeats)
                for d in pretrained.COMPARED for i in (0, 11)),
            "paths_runs_or_seed_slider": max(bench.median_seconds(lambda: paths(n, 0), repeats) for n in (1, 8)),
            "data_set_select": {d: bench.median_seconds(lambda: data_set(d), repeats) for d in pretrained.COMPARED},
            "memorization_dial": {n: bench.median_seconds(lambda: memo(n), repeats) for n in pretrained.MEMO_SIZES}}
