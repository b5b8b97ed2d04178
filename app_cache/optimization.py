"""The cached calls of "Sampling as optimization" (diffusion_core/topics/optimization/views.py), with their bounds."""

from diffusion_core.topics.optimization import core, views

from . import bind

cached = bind(views, quality_curves=4, cloud=32, descent_traces=48, momentum_scan=8, descent_cloud=48,
              curve_story=4, landscape=48)


def warm() -> None:
    """The page's default view into the cache (app_cache.warm_up; a test checks it leaves the page nothing to do)."""
    cached.curve_story(cached.quality_curves("dino"))
    for steps in views.CLOUD_STEPS:
        cached.cloud("dino", "ddim", steps)
    cached.landscape(10, 2.0)
    cached.descent_traces(10, 2.0)
    cached.momentum_scan(10)
    for gamma in (1.0, 2.0):
        cached.descent_cloud(10, gamma)


def warm_more() -> None:
    """Every other value the page's controls offer (about 20 s on this machine, in the background, after every page's
    default view), so that moving a control only redraws: both data sets with every sampler, every step count at
    every momentum."""
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
