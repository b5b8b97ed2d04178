import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def pytest_terminal_summary(terminalreporter):
    """After the run: the pages and controls the browser tests touched (tests/test_browser.py)."""
    module = sys.modules.get("test_browser") or sys.modules.get("tests.test_browser")
    touched = getattr(module, "TOUCHED", None)
    if not touched:
        return
    write = terminalreporter.write_line
    terminalreporter.section("browser coverage")
    total = 0
    for title, t in touched.items():
        total += t.total
        kinds = ", ".join(f"{n} {kind}{('es' if kind.endswith('x') else 's') * (n > 1)}"
                          for kind, n in sorted(t.counts.items()))
        left = f"; left alone (they train): {len(t.skipped)}" if t.skipped else ""
        write(f"{title}: {t.total} controls ({kinds}){left}")
    write(f"{len(touched)} pages, {total} controls touched in Chromium")
