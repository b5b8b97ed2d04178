"""The Playground: what its default settings train in their budget on the dino and how good that is (the
project's bar: ED <= 0.003, s2d <= 0.042, 1,000 DDPM samples over all T steps); and the seconds and bytes
behind the sampling view, at its defaults and at its largest; and what watching the model learn costs the training
(steps in the same seconds with and without the looks at its samples)."""

from __future__ import annotations

import dataclasses

from ... import bench, metrics, pretrained, samplers, schedules
from ...denoisers import NetDenoiser
from . import core, figures

REPEATS = 1
VIEWS = {"default (ddim, 50 steps, 1000 samples)": ("ddim", 50, 1000),
         "largest (ddpm, 1000 steps, 5000 samples)": ("ddpm", 1000, 5000)}


def run(repeats: int) -> dict:
    settings = core.Settings()
    data = core.built_in("dino")
    records: list = []
    job = core.train_job(data.points, dataclasses.asdict(settings), data.jitter, seconds=settings.seconds)
    net = core.build(settings, pretrained.run_job(job, on_record=records.append))
    den = NetDenoiser(net)
    q = metrics.dino_quality(samplers.sample(den, 1000, schedules.grid(den.schedule), sampler="ddpm", seed=1), seed=1)
    shipped = pretrained.load("dino")[0]
    points = data.in_data_units()
    sizes = {}

    def view(name, sampler, steps, n):  # what the sampling section computes and sends
        if core.sampling_seconds(shipped.config, n, sampler, steps) <= core.LIGHT_SECONDS:
            r, _, _ = core.run_view("bench", shipped, data.points, "dino", sampler, steps, n, 0)
        else:  # the page runs it in the training process (here, in this one), then judges the samples
            weights = {k: v.numpy() for k, v in shipped.state_dict().items()}
            r = pretrained.run_job(core.sample_job(dataclasses.asdict(shipped.config), weights, n, sampler, steps, 0,
                                                   seconds=0.0))
            core.judge("bench", r.samples, data.points, "dino")
        sizes[name] = bench.figure(figures.animated_run(r.states, r.labels, points, title="bench"))

    def data_controls():  # the data section: a built-in set, a CSV (the dino's points), a word, and the preview
        for source in (core.built_in("dino"), core.from_csv(core.samples_csv(points), "dino.csv"), core.from_word("hello")):
            bench.figure(figures.points_preview(source.in_data_units(), title="t"))

    def looks_cost(seconds: float = 10.0) -> dict:  # the same timed training with and without the looks, twice each
        steps = {True: [], False: []}
        for looks in (True, False, True, False):
            kept: list = []
            pretrained.run_job(core.train_job(data.points, dataclasses.asdict(settings), data.jitter, seconds=seconds,
                                              looks=looks), on_record=kept.append)
            steps[looks].append(kept[-1].step)
        with_, without = sum(steps[True]) / 2, sum(steps[False]) / 2
        return {"seconds": seconds, "steps_with_looks": steps[True], "steps_without": steps[False],
                "slowdown": round(1 - with_ / without, 3), "target": 0.1}

    def class_measures():  # a class's distance, coverage and share off it, the largest: 5,000 samples, 2,000 points
        samples = core.sample_run(shipped, 5000, "ddim", 20, 0).samples
        ids = (data.points[:, 0] > 0).astype("int64")  # the dino's two halves as two classes
        return core.class_trade("bench", samples, data.points, ids, 1)

    return {"watch_it_learn": looks_cost(),
            "class_measures_seconds": bench.median_seconds(class_measures, repeats),
            "data_controls_seconds": bench.median_seconds(data_controls, max(3, repeats)),
            "default_training": {"seconds": settings.seconds, "steps": records[-1].step if records else 0,
                                 "ed": round(q.energy_distance, 5), "s2d": round(q.sample_to_data, 4),
                                 "bar": {"ed": 0.003, "s2d": 0.042}},
            "sampling_view_seconds": {name: bench.median_seconds(lambda: view(name, *v), repeats)
                                      for name, v in VIEWS.items()},
            "sampling_view_bytes": sizes,
            "sampling_estimate_seconds": {name: round(core.sampling_seconds(shipped.config, n, sampler, steps), 2)
                                          for name, (sampler, steps, n) in VIEWS.items()}}
