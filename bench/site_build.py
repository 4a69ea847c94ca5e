"""What building the site's pages with every build costs: start, reload and rebuild.

The feed server builds, with the feeds, the page, the icon and this year's plan (web.build_pages),
so that nothing a request gets is unchecked.  This prints, for the bundled calendars and for
generated ones (bench/plan_inputs.py), the median time of the feeds' build and of what the pages
add to it, part by part.  Before, the same page and plan were made on their first request.

Usage (from the project root)::

    .venv/bin/python bench/site_build.py                  # bundled, 1,000 and 10,000
    .venv/bin/python bench/site_build.py --counts 10000 --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from common import ROOT, default_python, header
from plan_inputs import prepare

sys.path.insert(0, str(ROOT))

from reminders.plan.hostcal import country_problems
from reminders.web.app import build_pages, favicon, plan_page
from reminders.web.page import check_page, render_index
from reminders.web.server import WebService

NOW = datetime(2027, 1, 10, tzinfo=UTC)


def median_ms(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def measure(label: str, config: str, runs: int) -> None:
    service = WebService(config, environ={}, clock=lambda: NOW)
    loaded = service.load()
    feeds = service.build(loaded)
    build_pages(feeds)  # warm: imports, compiled templates, the host calendar's cache
    folder = loaded.settings.templates_dir
    parts = {
        "feeds": median_ms(lambda: service.build(loaded), runs),
        "pages": median_ms(lambda: build_pages(feeds), runs),
        "country": median_ms(lambda: country_problems(loaded.settings), runs),
        "check_page": median_ms(lambda: check_page(feeds.loaded, feeds.today), runs),
        "page": median_ms(lambda: render_index(feeds, feeds.today), runs),
        "icon": median_ms(lambda: favicon(folder), runs),
        "plan": median_ms(lambda: plan_page(feeds, feeds.today.year), runs),
    }
    added = parts["pages"] / parts["feeds"] * 100
    print(
        f"{label:<18} feeds {parts['feeds']:9.1f} ms  pages +{parts['pages']:8.1f} ms "
        f"(+{added:.0f}%): country {parts['country']:.2f}, check_page {parts['check_page']:.1f}, "
        f"page {parts['page']:.1f}, icon {parts['icon']:.2f}, plan {parts['plan']:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    header("site build (pages with every build)", default_python())
    measure("bundled", str(ROOT / "config.toml"), max(args.runs, 7))
    for count in args.counts:
        with tempfile.TemporaryDirectory() as folder:
            config = prepare(Path(folder), count, 7)[1]
            measure(f"generated {count}", str(config), args.runs)


if __name__ == "__main__":
    main()
