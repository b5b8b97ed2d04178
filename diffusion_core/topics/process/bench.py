"""Seconds behind each control of "The diffusion process", uncached, with the figures turned into JSON."""

from __future__ import annotations

from ... import bench, datasets, pretrained, schedules
from ...figures import samples_panel
from . import figures, views

REPEATS = 3


def run(repeats: int) -> dict:
    dino = datasets.load("dino").numpy()

    def forward(dataset, schedule_name):  # data set, schedule: the forward run at every t / T, and its figure
        bench.figure(figures.forward_run(views.forward_run(dataset, schedule_name), views.schedule_curves(), active=5))

    def reverse(sampler, steps):  # sampler, steps, seed: every particle's path (the page shows the first n)
        bench.figure(figures.trajectories(views.reverse_paths(sampler, steps, 0), data=dino, title="t"))

    def rung(name):  # the ladder's first view: each rung's samples and numbers
        bench.figure(samples_panel(views.rung(name)["samples"], dino, title="t"))

    return {
        "forward_controls": max(bench.median_seconds(lambda: forward(d, s), repeats)
                                for d in ("dino", "ring8", "checkerboard") for s in schedules.NAMES),
        "reverse_controls": {f"{s}, {n} steps": bench.median_seconds(lambda: reverse(s, n), repeats)
                             for s in views.SAMPLERS for n in views.PATH_STEPS},
        "ladder_first_view": {name: bench.median_seconds(lambda: rung(name), repeats)
                              for name in (*pretrained.LADDER, pretrained.ABLATION)},
        "ladder_text_and_ablation": bench.median_seconds(lambda: (views.linear_drowned(), views.ablation()), repeats),
    }
