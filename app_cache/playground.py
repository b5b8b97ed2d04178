"""The cached calls of the Playground (diffusion_core/topics/playground/core.py), with their bounds."""

from diffusion_core import shipped
from diffusion_core.topics.playground import core

from . import bind

# from_csv and from_word raise inputs.InputError on a bad file or word, which is not cached; run_view and judge
# do not hash the network or its points (parameters _net and _data): the model id stands for both.
cached = bind(core, built_in=8, from_csv=8, from_word=16, run_view=16, judge=16, class_trade=16)


DEFAULT = ("ddim", 50, 1000, 0)  # the sampling a visit starts with: sampler, steps, samples, seed


def warm() -> None:
    """The page's default view into the cache (app_cache.warm_up; a test checks it leaves the page nothing to do):
    the shipped dino model sampled as a visit starts."""
    data = cached.built_in("dino")
    cached.run_view("shipped-dino", shipped.denoiser("dino").net, data.points, "dino", *DEFAULT)


def warm_more() -> None:
    """Every other sample count the page offers, with the default view's other settings, that the page samples at
    once (by `core.sampling_seconds`, a light one; with the shipped model, all of them), in the background after every
    page's default view: about 6 s on this machine, where the reader waited 1.1 s for 2,000 samples and 4.1 s for
    5,000 (the time goes to more than the sampling the estimate counts: it puts 5,000 at 0.3 s)."""
    data, net = cached.built_in("dino"), shipped.denoiser("dino").net
    sampler, steps, default_n, seed = DEFAULT
    for n in core.SAMPLE_COUNTS:
        if n != default_n and core.sampling_seconds(net.config, n, sampler, steps) <= core.LIGHT_SECONDS:
            cached.run_view("shipped-dino", net, data.points, "dino", sampler, steps, n, seed)
