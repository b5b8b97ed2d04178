"""The cached calls of "Sampling as optimization" (diffusion_core/topics/optimization/views.py), with their bounds;
and the figures of its descent section, which the page draws and the warm-up builds ahead of the reader.

A move of the section's step count or momentum redraws six figures, and a fresh server built them on the reader's
first move (about 0.1 s of its time under AppTest, against 0.025 s for the same move once they were built):
`warm_more` builds them for every value of each control with the other at its default, into the kept figures
(app_cache.figures), from the same calls the page makes."""

from __future__ import annotations

import plotly.graph_objects as go

from diffusion_core.figures import SERIES, in_column, samples_panel
from diffusion_core.topics.optimization import core, views
from diffusion_core.topics.optimization import figures as optimization_figures

from . import bind, points
from .figures import kept, memo

DESCENT_DEFAULT = (10, core.PAPER_GAMMA)  # the descent section's step count and momentum on a first visit
cached = bind(views, quality_curves=4, cloud=32, descent_traces=48, momentum_scan=8, descent_cloud=48,
              curve_story=4, landscape=48)


def warm() -> None:
    """The page's default view into the cache (app_cache.warm_up; a test checks it leaves the page nothing to do)."""
    cached.curve_story(cached.quality_curves("dino"))
    for steps in views.CLOUD_STEPS:
        cached.cloud("dino", "ddim", steps)
    steps, gamma = DESCENT_DEFAULT
    cached.landscape(steps, gamma)
    cached.descent_traces(steps, gamma)
    cached.momentum_scan(steps)
    for g in (1.0, gamma):
        cached.descent_cloud(steps, g)


def warm_more() -> None:
    """Every other value the page's controls offer (about 20 s on this machine, in the background, after every page's
    default view), so that moving a control only redraws: both data sets with every sampler, every step count at
    every momentum; then the descent section's figures for every step count at the default momentum and every
    momentum at the default step count."""
    for dataset in views.DATASETS:
        cached.curve_story(cached.quality_curves(dataset))
        for sampler in core.SAMPLERS:
            for steps in views.CLOUD_STEPS:
                cached.cloud(dataset, sampler, steps)
    for steps in views.DESCENT_STEPS:
        cached.momentum_scan(steps)
        for gamma in core.MOMENTA:
            cached.landscape(steps, gamma)
            cached.descent_traces(steps, gamma)
            cached.descent_cloud(steps, gamma)
    for steps in views.DESCENT_STEPS:
        descent_figures(steps, DESCENT_DEFAULT[1])
    for gamma in core.MOMENTA:
        descent_figures(DESCENT_DEFAULT[0], gamma)


# ---------------------------------------------------------------- the figures of the descent section
DESCENT_LABELS = {"network": "shipped network", "ideal": "ideal denoiser (the 142 points)"}
figures = memo(optimization_figures)  # kept by a digest of their inputs (app_cache.figures)
cloud_panel = kept(samples_panel)


def descent_figures(steps: int, gamma: float) -> dict[str, go.Figure]:
    """The descent section at `steps` steps and momentum `gamma`, by the key the page draws each under: the landscape
    (scrubbed over the steps in the browser), each denoiser's distances, the momentum scan, and the network's samples
    without momentum and with `gamma` (in the two columns the page puts them in)."""
    land, traces = cached.landscape(steps, gamma), cached.descent_traces(steps, gamma)
    scan = cached.momentum_scan(steps)
    out = {"opt_landscape": figures.descent_landscape(
        land["axis"], land["maps"], land["sigmas"], {"network's runs": land["states"]["network"],
                                                     "ideal denoiser's runs": land["states"]["ideal"]},
        land["points"], land["steps_taken"], title=f"The landscape each step descends: {steps} steps, γ = {gamma:g}")}
    for name, (sig, near, smooth) in traces.items():
        out[f"opt_dist_{name}"] = figures.distance_paths(
            sig, near, smooth, title=f"{DESCENT_LABELS[name].capitalize()}: {steps} steps, γ = {gamma:g}")
    out["opt_momentum"] = figures.momentum_curve(
        core.MOMENTA, {DESCENT_LABELS[k]: v for k, v in scan["curves"].items()},
        {DESCENT_LABELS[k]: v for k, v in scan["errors"].items()}, chosen=gamma,
        title=f"Momentum against quality at {steps} steps")
    data = points(views.DESCENT_SET, None)
    for g, color, which in ((1.0, SERIES[0], "plain"), (gamma, SERIES[1], "chosen")):
        with in_column(2, gap="large"):  # the page's two columns
            out[f"opt_momentum_cloud_{which}"] = cloud_panel(
                cached.descent_cloud(steps, g), data, title=f"Network, {steps} steps, "
                + ("plain DDIM" if g == 1 else f"γ = {g:g}"), data_name="dino points", samples_name="samples",
                color=color, height=380)
    return out
