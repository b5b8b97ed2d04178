"""The cached calls of "Score fields" (diffusion_core/topics/scores/views.py), with their bounds."""

from diffusion_core.topics.scores import views

from . import bind

cached = bind(views, field=16, follow=8, dsm=64, ode_sde=16, dino_followers=4)
