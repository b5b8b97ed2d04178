"""The cached calls of "The diffusion process" (diffusion_core/topics/process/views.py), with their bounds."""

from diffusion_core import datasets, pretrained, schedules
from diffusion_core.topics.process import views

from . import bind

cached = bind(views, forward_run=32, schedule_curves=1, rung=8, ablation=1, linear_drowned=1,
              reverse_paths=len(views.SAMPLERS) * len(views.PATH_STEPS) * views.SEEDS + 4)  # warm_more's, and room


FORWARD_DEFAULT = ("dino", "linear")  # the forward section's data set and schedule on a first visit


def warm() -> None:
    """The page's default view into the cache (app_cache.warm_up; a test checks it leaves the page nothing to do)."""
    cached.forward_run(*FORWARD_DEFAULT)
    cached.linear_drowned()
    cached.schedule_curves()
    cached.reverse_paths("ddim", 100, 0)
    for name in (*pretrained.LADDER, pretrained.ABLATION):
        cached.rung(name)
    cached.ablation()


def warm_more() -> None:
    """Every reverse run the paths' controls offer (sampler, steps, seed; each holds every particle): about 5 s, where
    a reader who moved to 1,000 steps waited a quarter of a second for it. Then the forward process of every data set
    on the default schedule and of every schedule on the default data set (0.03 to 0.04 s each, where the reader's
    first move to another data set waited 0.18 to 0.25 s in all, and 0.13 once it was computed)."""
    for seed in range(views.SEEDS):
        for sampler in views.SAMPLERS:
            for steps in views.PATH_STEPS:
                cached.reverse_paths(sampler, steps, seed)
    for dataset in datasets.NAMES:
        cached.forward_run(dataset, FORWARD_DEFAULT[1])
    for schedule in schedules.NAMES:
        cached.forward_run(FORWARD_DEFAULT[0], schedule)
