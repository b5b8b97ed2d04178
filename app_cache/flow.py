"""The cached calls of "Flow matching" (diffusion_core/topics/flow/views.py), with their bounds."""

from diffusion_core.topics.flow import views

from . import bind

cached = bind(views, loss_weights=1, paths=1, grids=len(views.NFE), few_steps=1, reflow=1)


def warm() -> None:
    """The page's default view into the cache (app_cache.warm_up; a test checks it leaves the page nothing to do),
    then every step count of its grid section (about 2 s in all), so that control only redraws."""
    cached.loss_weights()
    cached.paths()
    cached.grids(views.GRID_DEFAULT)
    cached.few_steps()
    cached.reflow()
    for steps in views.NFE:
        cached.grids(steps)
