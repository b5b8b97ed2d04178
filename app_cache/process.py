"""The cached calls of "The diffusion process" (diffusion_core/topics/process/views.py)."""

from diffusion_core.topics.process import views

from . import data

forward = data(256)(views.forward)
schedule_curves = data(1)(views.schedule_curves)
reverse_paths = data(32)(views.reverse_paths)
rung = data(8)(views.rung)
