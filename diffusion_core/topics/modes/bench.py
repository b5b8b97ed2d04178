"""Seconds behind each control of "Means and modes": the core work plus the figures turned into JSON, with
the models already loaded and no app cache hit (the first reader to ask for a setting pays this)."""

from __future__ import annotations

from ... import bench, pretrained
from ...figures import mode_weights, samples_panel
from . import figures, views

REPEATS = 3


def run(repeats: int) -> dict:
    def panel(samples, dataset):  # one generator's panel: samples, metrics, coverage bars
        bench.figure(samples_panel(samples, None, title="t"))
        rep = views.panel_report(samples, dataset)
        if rep["coverage"] is not None:
            c = rep["coverage"]
            bench.figure(figures.coverage_bars(c["shares"], c["weights"], c["off_mode"], title="t"))

    def gan(dataset):  # the GAN's figure: every snapshot's samples and numbers, scrubbed in the browser
        run = views.generator_run(f"gan_{dataset}", dataset)
        covered = run["reports"][0]["coverage"] is not None
        bench.figure(figures.snapshots_run(run["steps"], run["samples"], None, titles=["t"] * len(run["steps"]),
                                           notes=["n"] * len(run["steps"]), active=len(run["steps"]) - 1,
                                           coverage=[r["coverage"] for r in run["reports"]] if covered else None,
                                           color="#000000"))

    def data_set(dataset):  # the select: all three panels
        name = f"mse_{dataset}"
        panel(views.generator_samples(name, len(views.generator_steps(name)) - 1), dataset)
        gan(dataset)
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

    def training():  # the GAN and diffusion over training (first view)
        c = views.training_curves("ring8")
        bench.figure(figures.training_curves({"GAN": c["gan"], "diffusion": c["diffusion"]}, modes=c["modes"],
                                             floor=c["band"].top, title="t"))

    def error_map_and_landings():  # section 2's first view beside the sliders
        m = views.mean_error_map()
        bench.figure(figures.error_map_1d(m["steps"], m["values"], m["error"], near=m["near"], title="t"))
        shares = {learned: views.landing_shares(learned) for learned in (False, True)}
        bench.figure(mode_weights({str(k): v["shares"] for k, v in shares.items()}, shares[False]["weights"],
                                  title="t"))

    for name in pretrained.GEN_RECIPES:  # loaded once, as the app holds them
        views.shipped_generator(name)
    return {"target_seconds": 0.3,
            "posterior_slider": max(bench.median_seconds(lambda: posterior(x, t), repeats)
                                    for x in (-2.5, 0.3, 2.5) for t in (0, 500, 999)),
            "gan_run_figure": {d: bench.median_seconds(lambda: gan(d), repeats) for d in pretrained.COMPARED},
            "paths_runs_or_seed_slider": max(bench.median_seconds(lambda: paths(n, 0), repeats) for n in (1, 8)),
            "data_set_select": {d: bench.median_seconds(lambda: data_set(d), repeats) for d in pretrained.COMPARED},
            "training_first_view": bench.median_seconds(training, repeats),
            "error_map_and_landings_first_view": bench.median_seconds(error_map_and_landings, repeats)}
