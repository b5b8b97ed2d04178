"""The cached calls of "Means and modes" (diffusion_core/topics/modes/views.py), with their bounds."""

from diffusion_core.topics.modes import views

from . import bind

cached = bind(views, panel_report=128, generator_steps=8, generator_samples=64, diffusion_samples=8, budget=4,
              posterior=512, paths=32, training_curves=2, landing_shares=2, mean_error_map=1)
