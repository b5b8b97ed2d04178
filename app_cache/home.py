"""Home's cached calls (diffusion_core/topics/home/views.py)."""

from diffusion_core.topics.home import views

from . import data

run = data(4)(views.run)
numbers = data(4)(views.numbers)
