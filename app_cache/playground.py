"""The cached calls of the Playground (diffusion_core/topics/playground/core.py), with their bounds."""

from diffusion_core import samplers, shipped
from diffusion_core.topics.playground import core

from . import bind

# from_csv and from_word raise inputs.InputError on a bad file or word, which is not cached; run_view and judge
# do not hash the network or its points (parameters _net and _data): the model id stands for both.
# run_view: the warm-up's 16 (warm and warm_more) and as many for readers' own: a run of 1,000 samples holds about
# 0.2 MB, one of 5,000 about 1 MB (all 32 of those: 32 MB)
cached = bind(core, built_in=8, from_csv=8, from_word=16, run_view=32, judge=16, class_trade=16)


DEFAULT = ("ddim", 50, 1000, 0)  # the sampling a visit starts with: sampler, steps, samples, seed


def warm() -> None:
    """The page's default view into the cache (app_cache.warm_up; a test checks it leaves the page nothing to do):
    the shipped dino model sampled as a visit starts."""
    data = cached.built_in("dino")
    cached.run_view("shipped-dino", shipped.denoiser("dino").net, data.points, "dino", *DEFAULT)


def warm_more() -> None:
    """Every value of each sampling control with the others at the default view's, that the page samples at once
    (by `core.sampling_seconds`, a light one; with the shipped model, all but 1,000 steps): every other sample count,
    where the reader waited 1.1 s for 2,000 samples and 4.1 s for 5,000 (the time goes to more than the sampling the
    estimate counts: it puts 5,000 at 0.3 s); every other sampler; every other step count, where a reader who moved
    to 100 steps waited 0.13 s for the sampling. In the background after every page's default view: 15 runs, about
    8 s on this machine."""
    data, net = cached.built_in("dino"), shipped.denoiser("dino").net
    sampler, steps, n, seed = DEFAULT
    for settings in ([(sampler, steps, other, seed) for other in core.SAMPLE_COUNTS if other != n]
                     + [(other, steps, n, seed) for other in samplers.NAMES if other != sampler]
                     + [(sampler, other, n, seed) for other in core.step_choices(net.config.T) if other != steps]):
        if core.sampling_seconds(net.config, settings[2], settings[0], settings[1]) <= core.LIGHT_SECONDS:
            cached.run_view("shipped-dino", net, data.points, "dino", *settings)
