"""The cached calls of "Score fields" (diffusion_core/topics/scores/views.py)."""

from diffusion_core.topics.scores import views

from . import data

field = data(16)(views.field)
follow = data(8)(views.follow)
dsm = data(64)(views.dsm)
ode_sde = data(16)(views.ode_sde)
