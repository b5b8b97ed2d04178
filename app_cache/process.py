"""The cached calls of "The diffusion process" (diffusion_core/topics/process/views.py), with their bounds."""

from diffusion_core.topics.process import views

from . import bind

cached = bind(views, forward=256, schedule_curves=1, reverse_paths=32, rung=8, ablation=1, linear_drowned=1)
