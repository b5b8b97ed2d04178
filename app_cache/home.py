"""The cached calls of Home (diffusion_core/topics/home/views.py), with their bounds."""

from diffusion_core.topics.home import views

from . import bind

cached = bind(views, run=4, numbers=4)
