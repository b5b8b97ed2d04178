"""The cached calls of "Spectral bands" (diffusion_core/topics/spectra/views.py), with their bounds."""

from diffusion_core.topics.spectra import core, views

from . import bind

# uploaded_photo raises inputs.InputError on a bad file, which is not cached.
cached = bind(views, photo=8, uploaded_photo=8, spectrum=32, photo_slopes=1, tide=128, schedule_bands=32,
              exact_run=len(core.IMAGES) * views.SEEDS + 4, learned_run=4, conv_info=1, schedule_lead=1)


def warm() -> None:
    """The page's default view into the cache (app_cache.warm_up; a test checks it leaves the page nothing to do)."""
    cached.photo_slopes()
    img = cached.photo("camera")
    spec = cached.spectrum(img)
    cached.tide(img, "cosine", 299)
    cached.schedule_bands(spec["amplitude"], spec["slope"])
    cached.schedule_lead()
    cached.exact_run("camera", 0)
    cached.learned_run(0)
    cached.conv_info()


def warm_more() -> None:
    """Every shipped photograph's first view (its spectrum, the tide at the default t, the schedules' bands) and its
    reverse run at every noise seed (about 5 s): a reader who picked another photograph waited for its run, and for
    the run of every seed they moved to."""
    for name in core.IMAGES:
        img = cached.photo(name)
        spec = cached.spectrum(img)
        cached.tide(img, "cosine", 299)
        cached.schedule_bands(spec["amplitude"], spec["slope"])
        for seed in range(views.SEEDS):
            cached.exact_run(name, seed)
