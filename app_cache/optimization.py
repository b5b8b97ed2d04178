"""The cached calls of "Sampling as optimization" (diffusion_core/topics/optimization/views.py), with their bounds."""

from diffusion_core.topics.optimization import views

from . import bind

cached = bind(views, quality_curves=4, cloud=32, descent_traces=32, momentum_scan=8, descent_cloud=32,
              curve_story=4, landscape=32)


def warm() -> None:
    """The page's default view into the cache (app_cache.warm_up; a test checks it leaves the page nothing to do)."""
    cached.curve_story(cached.quality_curves("dino"))
    for steps in (5, 10, 20, 100):
        cached.cloud("dino", "ddim", steps)
    cached.landscape(10, 2.0)
    cached.descent_traces(10, 2.0)
    cached.momentum_scan(10)
    for gamma in (1.0, 2.0):
        cached.descent_cloud(10, gamma)
