"""The cached calls of "Means and modes" (diffusion_core/topics/modes/views.py), with their bounds."""

from diffusion_core import pretrained
from diffusion_core.topics.modes import views

from . import bind

cached = bind(views, panel_report=128, generator_steps=8, generator_samples=64, generator_run=4, diffusion_samples=8, budget=4,
              posterior=512, paths=32, training_curves=2, landing_shares=2, mean_error_map=1)


def warm() -> None:
    """The page's default view into the cache (app_cache.warm_up; a test checks it leaves the page nothing to do)."""
    generators("ring8")
    cached.training_curves("ring8")
    cached.posterior(0.3, 699)
    cached.mean_error_map()
    for guided in (False, True):
        cached.paths(guided, 6, 0)
        cached.landing_shares(guided)


def generators(dataset: str) -> None:
    """The three generators' panels of a data set."""
    steps = cached.generator_steps(f"mse_{dataset}")
    cached.panel_report(cached.generator_samples(f"mse_{dataset}", len(steps) - 1), dataset, 0)
    cached.generator_run(f"gan_{dataset}", dataset, 0)
    cached.panel_report(cached.diffusion_samples(dataset), dataset, 0)
    cached.budget(dataset)


def warm_more() -> None:
    """The other data sets' generator panels (about 1 s), so the data set select only redraws."""
    for dataset in pretrained.COMPARED:
        generators(dataset)
