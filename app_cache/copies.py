"""The cached calls of "Regurgitation" (diffusion_core/topics/copies/views.py), with their bounds."""

from diffusion_core.topics.copies import views

from . import bind

cached = bind(views, memorization=24, repeated=8, repeated_curve=1)
