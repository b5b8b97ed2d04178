"""The cached calls of "Guidance" (diffusion_core/topics/guidance/views.py), with their bounds."""

from diffusion_core.topics.guidance import views

from . import bind

n_shapes = len(views.SHAPES)
cached = bind(views, dozen=1, guided=n_shapes, field=n_shapes * len(views.FIELD_SIGMAS))


def warm() -> None:
    """The page's default view into the cache (app_cache.warm_up; a test checks it leaves the page nothing to do)."""
    cached.dozen()
    cached.guided(views.SHAPE)
    cached.field(views.SHAPE, views.FIELD_SIGMA)


def warm_more() -> None:
    """Every noise level of the default shape's fields, then every other shape's samples, trade and fields (about
    a minute)."""
    for sigma in views.FIELD_SIGMAS:
        cached.field(views.SHAPE, sigma)
    for shape in views.SHAPES:
        cached.guided(shape)
        for sigma in views.FIELD_SIGMAS:
            cached.field(shape, sigma)
