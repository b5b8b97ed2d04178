"""The cached calls of "Score fields" (diffusion_core/topics/scores/views.py), with their bounds."""

from diffusion_core.topics.scores import views

from . import bind

cached = bind(views, field=16, follow=36, dsm=96, ode_sde=24, dino_followers=4)


def warm() -> None:
    """The page's default view into the cache (app_cache.warm_up; a test checks it leaves the page nothing to do)."""
    cached.field(0.3)
    cached.follow(*views.FOLLOW_DEFAULT)
    cached.dino_followers(0.1)
    cached.dsm(0.5, 1)
    cached.ode_sde(*views.ODE_DEFAULT)


def warm_more() -> None:
    """Every value of each control with the others of its section at their defaults (about 25 s on this machine, in
    the background, after every page's default view; the followers' 30 runs hold about 50 MB), so that moving one
    control from the default view only redraws. The followers' steps slider (100 values, 0.6 s each at 500 steps) is
    left to compute."""
    steps, step_size, noise = views.FOLLOW_DEFAULT
    for sigma in views.SIGMAS:
        cached.field(sigma)
    for sigma in views.SIGMAS[:-1]:
        for seed in range(10):
            cached.dsm(sigma, seed)
    for sigma in views.DINO_SIGMAS:
        cached.dino_followers(sigma)
    for n in views.ODE_STEPS:
        cached.ode_sde(n, views.ODE_DEFAULT[1])
    for runs in range(1, 13):
        cached.ode_sde(views.ODE_DEFAULT[0], runs)
    for size in views.STEP_SIZES:
        cached.follow(steps, size, noise)
    for scale in views.NOISE_SCALES:
        cached.follow(steps, step_size, scale)
