"""The cached calls of "Spectral bands" (diffusion_core/topics/spectra/views.py), with their bounds."""

from diffusion_core.topics.spectra import views

from . import bind

# uploaded_photo raises inputs.InputError on a bad file, which is not cached.
cached = bind(views, photo=8, uploaded_photo=8, spectrum=32, photo_slopes=1, tide=128, schedule_bands=32,
              exact_run=16, learned_run=4, conv_info=1, schedule_lead=1)


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
