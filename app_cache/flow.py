"""The cached calls of "Flow matching" (diffusion_core/topics/flow/views.py), with their bounds; and the figures of
its data set's sections, built from them, which the page draws and the warm-up builds ahead of the reader.

A change of data set redraws six figures, and a fresh server built them on the reader's first move (about 0.2 s of
its time under AppTest) on top of computing nothing: `warm_more` builds them for every data set (and the grids'
figures for every step count) into the kept figures (app_cache.figures), from the same calls the page makes, so
that first move builds no figure (it still turns each into the JSON the chart is sent, once: app_components.chart)."""

from __future__ import annotations

import plotly.graph_objects as go

from diffusion_core import datasets, pretrained
from diffusion_core.topics.flow import figures as flow_figures
from diffusion_core.topics.flow import views
from diffusion_core.topics.optimization import figures as optimization_figures

from . import bind, points
from .figures import memo

n_sets = len(views.DATASETS)
cached = bind(views, loss_weights=1, paths=n_sets, grids=n_sets * len(views.NFE), quality=n_sets)

figures = memo(flow_figures)  # kept by a digest of their inputs (app_cache.figures)
optimization = memo(optimization_figures)
SET_LABELS = {name: datasets.LABELS[name] for name in views.DATASETS}
CURVE_LABELS = {"eps_ddim": "ε-model, DDIM", "flow_euler": "flow model, Euler", "flow_heun": "flow model, Heun",
                "reflow_euler": "reflowed flow model, Euler"}


def warm() -> None:
    """The page's default view into the cache (app_cache.warm_up; a test checks it leaves the page nothing to do):
    every data set's, since the page sends them all and switches between them in the browser (app_common.switched)."""
    cached.loss_weights()
    for dataset in views.DATASETS:
        sections(dataset)
        cached.grids(dataset, views.GRID_DEFAULT)


def sections(dataset: str) -> None:
    """Sections 2, 4 and 5 of a data set."""
    cached.paths(dataset)
    cached.quality(dataset)


def warm_more() -> None:
    """Every step count of the grid section for every data set (about 8 s), so the Steps sliders only redraw; then
    every data set's figures, as the page builds them from the shipped models (about 1 s)."""
    for dataset in views.DATASETS:
        for steps in views.NFE:
            cached.grids(dataset, steps)
    for dataset in views.DATASETS:
        paths_figure(dataset, cached.paths(dataset))
        for steps in views.NFE:
            grid_figures(dataset, steps, cached.grids(dataset, steps))
        quality = cached.quality(dataset)
        quality_figure(dataset, quality["few_steps"])
        reflow_figures(quality["reflow"])


# ---------------------------------------------------------------- the figures of a data set's sections


def pm(value: tuple[float, float]) -> str:
    """A mean and two standard errors, as the page writes them."""
    return f"{value[0]:.4f} ± {2 * value[1]:.4f}"


def data_of(dataset: str):
    """The data drawn under the sample clouds: the dino's 142 points, 2,000 points of the ring."""
    return points(dataset, None if dataset == "dino" else 2000)


def paths_figure(dataset: str, paths: dict) -> go.Figure:
    """Section 2: the straight training paths and the ODE paths, t scrubbed in the browser (opens at t = 0.5)."""
    return figures.paths_run(paths, active=views.FRAME_TIMES.index(0.5),
                             ideal_name=f"Ideal velocity field ({views.IDEAL[dataset]})")


def grid_figures(dataset: str, steps: int, g: dict) -> tuple[go.Figure, go.Figure]:
    """Section 3 at `steps`: where each grid spends its steps, and the three clouds from the same noise."""
    grids = figures.time_grids({"DDIM (cosine schedule, strided)": g["ddim_times"],
                                "Euler, even steps in t": g["even_times"]},
                               title=f"Where {steps} steps are spent, in flow time")
    clouds = figures.cloud_row(
        [(f"DDIM<br>{pm(g['ed_ddim'])}", g["ddim"]), ("Euler on DDIM's grid<br>(the same states)", g["euler_ddim"]),
         (f"Euler on even steps<br>{pm(g['ed_even'])}", g["euler_even"])], data_of(dataset),
        title=f"The ideal denoiser of {views.IDEAL[dataset]}, {steps} steps from the same noise (energy distance)")
    return grids, clouds


def quality_figure(dataset: str, few: dict) -> go.Figure:
    """Section 4: energy distance against network evaluations for the three models."""
    return optimization.quality_vs_compute(
        {CURVE_LABELS[k]: c for k, c in few["curves"].items()}, floor=few["floor"],
        title=f"Compute against quality, {SET_LABELS[dataset]}: ε-model, flow model, reflowed")


def reflow_figures(ref: dict, live: dict | None = None) -> tuple[go.Figure, go.Figure]:
    """Section 5: the paths before and after reflow (the shipped reflow, or the reader's `live` one), and one and
    two Euler steps of each model."""
    before, after = ref["flow"], live if live is not None else ref["reflow"]
    who = (f"live reflow ({live['steps']:,} steps in {live['seconds']:.0f} s)" if live is not None else
           f"shipped reflow ({pretrained.REFLOW_STEPS:,} steps)")
    paths = figures.path_pairs(before["paths"], after["paths"], ref["points"],
                               title=f"The same noise draws, before and after reflow: {who}")
    clouds = [(f"{name}, {steps} step{'s' if steps > 1 else ''}<br>{pm(model['few'][steps]['ed'])}",
               model["few"][steps]["samples"])
              for name, model in (("Flow model", before), ("Reflowed", after)) for steps in (1, 2)]
    samples = figures.cloud_row(clouds, ref["points"], title="One and two Euler steps (energy distance)", height=370)
    return paths, samples
