"""The cached calls of "Flow matching" (diffusion_core/topics/flow/views.py), with their bounds."""

from diffusion_core.topics.flow import views

from . import bind

n_sets = len(views.DATASETS)
cached = bind(views, loss_weights=1, paths=n_sets, grids=n_sets * len(views.NFE), few_steps=n_sets, reflow=n_sets)


def warm() -> None:
    """The page's default view into the cache (app_cache.warm_up; a test checks it leaves the page nothing to do)."""
    cached.loss_weights()
    sections(views.DATASET)
    cached.grids(views.DATASET, views.GRID_DEFAULT)


def sections(dataset: str) -> None:
    """Sections 2, 4 and 5 of a data set."""
    cached.paths(dataset)
    cached.few_steps(dataset)
    cached.reflow(dataset)


def warm_more() -> None:
    """The other data set and every step count of the grid section (about 8 s), so the controls only redraw."""
    for dataset in views.DATASETS:
        sections(dataset)
        for steps in views.NFE:
            cached.grids(dataset, steps)
