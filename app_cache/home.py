"""The cached calls of Home (diffusion_core/topics/home/views.py), with their bounds."""

from diffusion_core.topics.home import views

from . import bind

cached = bind(views, run=4, numbers=4)


def warm() -> None:
    """The page's default view into the cache (app_cache.warm_up; a test checks it leaves the page nothing to do)."""
    cached.run(100)
    cached.numbers(100)
