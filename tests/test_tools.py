"""The measuring tools' own arithmetic (tools/): what they print is only as good as how they add up."""

from __future__ import annotations

from tools import browserbench


def test_rounds_of_a_page_keep_every_time():
    """--rounds measures a page several times per version: the rounds' times are all kept (medians are taken over
    them), the megabytes a load receives averaged, and a control seen in one round only keeps its times."""
    results: dict = {}
    browserbench.merge(results, "Flow matching", {"loads": [1.0, 1.2], "megabytes": 2.0, "charts": 7, "images": 0,
                                                   "controls": {"select: Data set": [0.5, 0.6]}})
    browserbench.merge(results, "Flow matching", {"loads": [1.4], "megabytes": 3.0, "charts": 7, "images": 0,
                                                   "controls": {"select: Data set": [0.7],
                                                                "slider: Steps": [0.2]}})
    page = results["Flow matching"]
    assert page["loads"] == [1.0, 1.2, 1.4]
    assert page["megabytes"] == 2.5 and page["rounds"] == 2
    assert page["controls"] == {"select: Data set": [0.5, 0.6, 0.7], "slider: Steps": [0.2]}
    assert (page["charts"], page["images"]) == (7, 0)
