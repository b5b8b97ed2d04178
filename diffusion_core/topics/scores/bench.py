"""Seconds behind each control of "Score fields", uncached, and the figure of a run once it is computed (every
kept step of it, scrubbed in the browser)."""

from __future__ import annotations

from ... import bench, datasets
from ...figures import mode_weights, samples_panel
from . import figures, views

REPEATS = 3


def run(repeats: int) -> dict:
    data = datasets.load(views.FOLLOW_SET, 2000).numpy()

    def field(sigma):
        v = views.field(sigma)
        for vec in (v["exact"], v["learned"]):
            bench.figure(figures.score_field(v["axis"], v["log_density"], v["points"], vec, title="t", lim=2.6,
                                             cell=0.2))
        bench.figure(figures.error_map(v["axis"], v["error_map"], contour=v["log_density"], title="t", lim=2.6))

    def run_figure(r):  # a run's figure (every kept step, scrubbed in the browser) and its mode bars
        bench.figure(figures.follow_run(r["states"], r["frames"], data, colors=dict.fromkeys(r["states"], "#000000"),
                                        lim=3.0))
        bench.figure(mode_weights({m: e["weights"] for m, e in r["ends"].items()}, r["truth"], title="t"))

    def dsm(sigma, seed):
        p = views.dsm(sigma, seed)
        bench.figure(figures.dsm_arrows(p["points"], p["x"], p["to_clean"], p["weights"], p["mean_step"], title="t"))

    def ode(steps, runs):
        v = views.ode_sde(steps, runs)
        for name in ("ddpm", "ddim"):
            bench.figure(figures.density_paths(v["density_steps"], v["grid"], v["log_density"], {"p": v[name]},
                                               title="t", T=1000))

    dino = datasets.load("dino").numpy()

    def dino_followers(sigma):
        for run in views.dino_followers(sigma)["runs"].values():
            bench.figure(samples_panel(run["samples"], dino, title="t"))

    run500 = views.follow(500, 0.005, 1.0)
    return {"target_seconds": 0.3,
            "sigma_slider": max(bench.median_seconds(lambda: field(s), repeats) for s in (0.02, 0.3, 5.0)),
            "dynamics_run_uncached": {str(n): bench.median_seconds(lambda: views.follow(n, 0.005, 1.0), repeats)
                                      for n in (200, 500, 1000)},
            "run_figure_500_steps": bench.median_seconds(lambda: run_figure(run500), repeats),
            "dsm_sliders": max(bench.median_seconds(lambda: dsm(s, k), repeats) for s in (0.02, 2.0) for k in (0, 9)),
            "ode_sliders": max(bench.median_seconds(lambda: ode(n, 12), repeats) for n in (5, 250)),
            "dino_sigma_slider": max(bench.median_seconds(lambda: dino_followers(s), repeats) for s in (0.05, 0.5))}
