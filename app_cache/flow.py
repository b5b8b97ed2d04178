"""The cached calls of "Flow matching" (diffusion_core/topics/flow/views.py), with their bounds."""

from diffusion_core.topics.flow import views

from . import bind

n_sets = len(views.DATASETS)
cached = bind(views, loss_weights=1, paths=n_sets, grids=n_sets * len(views.NFE), few_steps=n_sets, reflow=n_sets)


def warm() -> None:
    """The page's default view into the cache (app_cache.warm_up; a test checks it leaves the page nothing to do),
    then the other data set and every step count of the grid section (about 8 s in all), so the controls only
    redraw."""
    cached.loss_weights()
    for dataset in views.DATASETS:  # the default first
        cached.paths(dataset)
        cached.grids(dataset, views.GRID_DEFAULT)
        cached.few_steps(dataset)
        cached.reflow(dataset)
        for steps in views.NFE:
            cached.grids(dataset, steps)
