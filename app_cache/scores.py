"""The cached calls of "Score fields" (diffusion_core/topics/scores/views.py), with their bounds."""

from diffusion_core.topics.scores import views

from . import bind

cached = bind(views, field=16, follow=8, dsm=64, ode_sde=16, dino_followers=4)


def warm() -> None:
    """The page's default view into the cache (app_cache.warm_up; a test checks it leaves the page nothing to do)."""
    cached.field(0.3)
    cached.follow(500, 0.005, 1.0)
    cached.dino_followers(0.1)
    cached.dsm(0.5, 1)
    cached.ode_sde(20, 8)
