"""The cached calls of "Means and modes" (diffusion_core/topics/modes/views.py)."""

from diffusion_core.topics.modes import views

from . import data

panel_report = data(128)(views.panel_report)
generator_steps = data(8)(views.generator_steps)
generator_samples = data(64)(views.generator_samples)
diffusion_samples = data(8)(views.diffusion_samples)
budget = data(4)(views.budget)
posterior = data(512)(views.posterior)
paths = data(32)(views.paths)
memorization = data(24)(views.memorization)
