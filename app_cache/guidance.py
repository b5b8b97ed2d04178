"""The cached calls of "Guidance" (diffusion_core/topics/guidance/views.py), with their bounds; and the figures a
change of shape redraws, which the page draws and the warm-up builds ahead of the reader.

A change of shape redraws five figures, and a fresh server built them on the reader's first move (about 0.1 s of its
time under AppTest, against 0.02 s for the same move once they were built): `warm_more` builds them for every shape,
and section 4's figure at every noise level of the default shape, into the kept figures (app_cache.figures), from
the same calls the page makes."""

from __future__ import annotations

import plotly.graph_objects as go

from diffusion_core import datasets
from diffusion_core.topics.guidance import figures as guidance_figures
from diffusion_core.topics.guidance import views

from . import bind
from .figures import memo

n_shapes = len(views.SHAPES)
cached = bind(views, dozen=1, guided=n_shapes, field=n_shapes * len(views.FIELD_SIGMAS))

figures = memo(guidance_figures)  # kept by a digest of their inputs (app_cache.figures)
SHAPE_LABELS = datasets.DOZEN_LABELS_TEXT
NAMES = views.MODEL_LABELS
SHOWN = views.SCALES.index(views.SCALE_SHOWN)
N_SHAPE = len(datasets.dozen_shape(views.SHAPE))  # 142, every shape's


def warm() -> None:
    """The page's default view into the cache (app_cache.warm_up; a test checks it leaves the page nothing to do)."""
    cached.dozen()
    cached.guided(views.SHAPE)
    cached.field(views.SHAPE, views.FIELD_SIGMA)


def warm_more() -> None:
    """Every noise level of the default shape's fields, then every other shape's samples, trade and fields (about
    a minute); then the figures a change of shape draws, for every shape with the shipped network, and section 4's
    at every noise level of the default shape."""
    for sigma in views.FIELD_SIGMAS:
        cached.field(views.SHAPE, sigma)
    for shape in views.SHAPES:
        cached.guided(shape)
        for sigma in views.FIELD_SIGMAS:
            cached.field(shape, sigma)
    for shape in views.SHAPES:
        view = cached.guided(shape)
        gallery_figure(shape)
        dial_figure(view, shape)
        trade_figure(view, shape)
        isolation_figure(view, shape)
        fields_figure(shape, views.FIELD_SIGMA)
    for sigma in views.FIELD_SIGMAS:
        fields_figure(views.SHAPE, sigma)


# ---------------------------------------------------------------- the figures of a shape


def gallery_figure(shape: str) -> go.Figure:
    """Section 1: the thirteen shapes, the chosen one marked."""
    return figures.gallery(cached.dozen(), SHAPE_LABELS, shape,
                           title=f"The Datasaurus Dozen: {n_shapes} sets of {N_SHAPE} points; "
                                 f"{SHAPE_LABELS[shape]} chosen")


def dial_figure(view: dict, shape: str) -> go.Figure:
    """Section 2: the samples of both denoisers at every scale, scrubbed in the browser (`view`: the shipped
    network's, or with the reader's live one in it)."""
    return figures.dial(view, names=NAMES, active=SHOWN, shape_label=SHAPE_LABELS[shape], steps=views.STEPS)


def trade_figure(view: dict, shape: str) -> go.Figure:
    """Section 3: fidelity, coverage, energy distance and the share off the shape against the scale."""
    return figures.trade(view, names=NAMES, title=f"What guidance buys and costs: the {SHAPE_LABELS[shape]}")


def fields_figure(shape: str, sigma: float) -> go.Figure:
    """Section 4: the three steps at noise level `sigma`, the guided one scrubbed over the scale."""
    return figures.fields(cached.field(shape, sigma), scales=views.SCALES, active=SHOWN,
                          shape_label=SHAPE_LABELS[shape])


def isolation_figure(view: dict, shape: str) -> go.Figure:
    """Section 5: where the samples land on the shape, against the distance to another shape."""
    label = SHAPE_LABELS[shape]
    return figures.isolation(view, names=NAMES, shape_label=label,
                             title=f"Where the samples land: the {label}'s point nearest each sample, and its "
                                   "distance to another shape")
