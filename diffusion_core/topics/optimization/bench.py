"""Seconds behind "Sampling as optimization": the compute-against-quality curves the first time (target 5 s),
and section 2's first-time costs per step count: the distance panels and clouds for a new momentum, and the
momentum scan."""

from __future__ import annotations

from ... import bench, datasets
from ...figures import samples_panel
from . import core, figures, views

REPEATS = 1
STEPS = (5, 10, 20, 50, 100)


def run(repeats: int) -> dict:
    dino = datasets.load("dino").numpy()

    def compute(dataset):  # the data set select: every sampler at every budget, and the clouds
        c = views.quality_curves(dataset)
        bench.figure(figures.quality_vs_compute(c["network"], floor=c["floor"], exact=c["exact"], title="t"))
        views.curve_story(c)
        for steps in (5, 10, 20, 100):
            bench.figure(samples_panel(views.cloud(dataset, "ddim", steps), None, title="t"))

    def descent(steps, gamma):  # a new step count or momentum: the landscape, the two distance panels, the clouds
        v = views.landscape(steps, gamma)
        bench.figure(figures.descent_landscape(v["axis"], v["maps"], v["sigmas"], v["states"], v["points"],
                                               v["steps_taken"], title="t"))
        for sig, near, smooth in views.descent_traces(steps, gamma).values():
            bench.figure(figures.distance_paths(sig, near, smooth, title="t"))
        for g in (1.0, gamma):
            bench.figure(samples_panel(views.descent_cloud(steps, g), dino, title="t"))

    def scan(steps):  # a new step count also rescans every momentum, once
        s = views.momentum_scan(steps)
        bench.figure(figures.momentum_curve(core.MOMENTA, s["curves"], s["errors"], chosen=2.0, title="t"))
        views.verdict(s, 2.0)

    return {"target_seconds": 5.0,
            "first_view_seconds": {d: bench.median_seconds(lambda: compute(d), repeats) for d in ("dino", "ring8")},
            "descent_redraw_seconds": {s: bench.median_seconds(lambda: descent(s, 2.0), repeats) for s in STEPS},
            "momentum_scan_seconds": {s: bench.median_seconds(lambda: scan(s), repeats) for s in STEPS}}
