"""The cached calls of the Playground (diffusion_core/topics/playground/core.py), with their bounds."""

from diffusion_core import shipped
from diffusion_core.topics.playground import core

from . import bind

# from_csv and from_word raise inputs.InputError on a bad file or word, which is not cached; run_view and judge
# do not hash the network or its points (parameters _net and _data): the model id stands for both.
cached = bind(core, built_in=8, from_csv=8, from_word=16, run_view=16, judge=16, class_trade=16)


def warm() -> None:
    """The page's default view into the cache (app_cache.warm_up; a test checks it leaves the page nothing to do):
    the shipped dino model sampled as a visit starts."""
    data = cached.built_in("dino")
    cached.run_view("shipped-dino", shipped.denoiser("dino").net, data.points, "dino", "ddim", 50, 1000, 0)
