"""The cached calls of "Where the loss comes from" (diffusion_core/topics/objective/views.py), with their bounds."""

from diffusion_core.topics.objective import core, views

from . import bind

cached = bind(views, bound=3, targets=1, draws=18, schedule_densities=1, setting=18, comparison=1)


def warm() -> None:
    """The page's default view into the cache (app_cache.warm_up; a test checks it leaves the page nothing to do),
    then every setting of section 4 (18 of them, 0.2 to 0.3 s each uncached), so its controls only redraw."""
    cached.bound("linear")
    cached.targets()
    cached.draws("eps", 0.0)
    cached.setting("eps", 0.0)
    cached.comparison()
    cached.schedule_densities()
    for target in core.TARGETS:
        for noise in views.NOISES:
            cached.draws(target, noise)
            cached.setting(target, noise)
