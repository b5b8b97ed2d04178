"""The cached calls of "Regurgitation" (diffusion_core/topics/copies/views.py), with their bounds."""

from diffusion_core.topics.copies import views

from . import bind

cached = bind(views, memorization=24, repeated=8, repeated_curve=1)


def warm() -> None:
    """The page's default view into the cache (app_cache.warm_up; a test checks it leaves the page nothing to do)."""
    cached.memorization(10, 0)
    cached.repeated(50)
    cached.repeated_curve()
