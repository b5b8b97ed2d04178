"""Seconds behind "Guidance": the page's first view of a shape from the shipped weights and views (every section,
figures included; the shape select reruns all of it), the same with the views measured afresh (what a stale views
file, or `pretrain`, costs a shape), its one other control (each noise level of the fields), and the measured trade
itself for the default shape, so the printed JSON carries the page's numbers too."""

from __future__ import annotations

from ... import bench, datasets
from . import figures, views

REPEATS = 1


def run(repeats: int) -> dict:
    labels = datasets.DOZEN_LABELS_TEXT

    def field(shape, sigma):  # the noise-level control: the three fields at that level
        bench.figure(figures.fields(views.field(shape, sigma), scales=views.SCALES, active=0, shape_label="t"))

    def first_view(shape, view_of=views.guided):  # every section at its default
        bench.figure(figures.gallery(views.dozen(), labels, shape, title="t"))
        view = view_of(shape)
        bench.figure(figures.dial(view, names=views.MODEL_LABELS, active=0, shape_label="t", steps=views.STEPS))
        bench.figure(figures.trade(view, names=views.MODEL_LABELS, title="t"))
        bench.figure(figures.isolation(view, names=views.MODEL_LABELS, shape_label="t", title="t"))
        views.facts(view, "exact"), views.facts(view, "trained")
        field(shape, views.FIELD_SIGMA)
        return view

    def load_views():  # reading the shipped file (once per server), its weights' fingerprint checked
        views.forget_shipped()
        return views.shipped_views()

    load_seconds = bench.median_seconds(load_views, repeats)
    view = first_view(views.SHAPE)
    out = {"target_seconds": 2.0, "control_target_seconds": 0.3,
           "first_view_seconds": {shape: bench.median_seconds(lambda s=shape: first_view(s), repeats)
                                  for shape in (views.SHAPE, "dino")},
           "first_view_measured_seconds": {shape: bench.median_seconds(lambda s=shape: first_view(s, views.measure),
                                                                       repeats) for shape in (views.SHAPE, "dino")},
           "views_shipped": bool(views.shipped_views()), "views_load_seconds": load_seconds,
           "noise_level_seconds": {sigma: bench.median_seconds(lambda s=sigma: field(views.SHAPE, s), repeats)
                                   for sigma in views.FIELD_SIGMAS},
           "shape": views.SHAPE, "samples_per_seed": views.N, "seeds": len(views.SEEDS), "ddim_steps": views.STEPS,
           "trade": {model: {f"w={w:g}": {k: [round(v, 4) for v in c[k]] for k in views.TRADE_NUMBERS}
                             for w, c in zip(views.SCALES, curve)} for model, curve in view["curves"].items()},
           "floor_2.5_50_97.5": {k: [round(v, 4) for v in view["floor"][k]] for k in views.TRADE_NUMBERS},
           "facts": {m: views.facts(view, m) for m in views.MODELS},
           "all_shapes": {}}  # what the README says of every shape: each one's facts and shares off it at the top w
    for shape in views.SHAPES:
        v = views.guided(shape)
        out["all_shapes"][shape] = {m: {**views.facts(v, m), "off_at_top": round(v["curves"][m][-1]["off"][0], 3)}
                                    for m in views.MODELS}
    return out
