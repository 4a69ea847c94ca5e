"""Answers kept as gzip (web/app.py ``Stored``): the bytes inflated for a client that does not
ask for gzip are the feed's and the page's very bytes, their headers the same as before, and what
is kept inflated stays within the budget, the first inflated forgotten first."""

from __future__ import annotations

import gzip
from datetime import date

import pytest

from reminders.web import app as web
from reminders.web.app import App, Inflated, Prepared, Site, feed_reply, html_page, page_reply
from reminders.web.feeds import ALL, FeedSet, build_feeds

from .conftest import ROOT
from .test_web import BUILT, INPUTS, call, load_project

GZIP = [(b"accept-encoding", b"gzip")]


@pytest.fixture(scope="module")
def feeds() -> FeedSet:
    return build_feeds(
        load_project(ROOT / "config.toml"), date(2026, 12, 1), {}, int(INPUTS.timestamp()), BUILT
    )


@pytest.fixture
def budget(monkeypatch: pytest.MonkeyPatch) -> Inflated:
    """A budget of 150,000 bytes for this test alone (the process's own is untouched)."""
    small = Inflated(150_000)
    monkeypatch.setattr(web, "INFLATED", small)
    return small


def test_a_prepared_feed_holds_no_plain_bytes_until_asked(feeds: FeedSet, budget: Inflated) -> None:
    resource = feeds.resources[ALL]
    prepared = Prepared(resource, 3600)
    assert prepared.identity == [None, None]
    assert all(answer.body in (b"", resource.gzipped) for answer in prepared.replies.values())
    answer = feed_reply(prepared, "GET", b"", [])
    assert answer.body == gzip.decompress(resource.gzipped) == resource.body
    assert dict(answer.headers)[b"content-length"] == str(resource.size).encode()
    assert b"content-encoding" not in dict(answer.headers)
    assert prepared.identity[0] is answer  # kept: the next GET is the same reply
    assert feed_reply(prepared, "GET", b"", []) is answer
    assert budget.held == resource.size


def test_identity_head_and_download_say_the_size_of_the_bytes(
    feeds: FeedSet, budget: Inflated
) -> None:
    resource = feeds.resources[ALL]
    prepared = Prepared(resource, 3600)
    head = feed_reply(prepared, "HEAD", b"", [])
    assert head.body == b""
    assert dict(head.headers)[b"content-length"] == str(resource.size).encode()
    assert prepared.identity == [None, None]  # a HEAD inflates nothing
    download = feed_reply(prepared, "GET", b"download=1", [])
    assert download.body == resource.body
    assert dict(download.headers)[b"content-disposition"].startswith(b"attachment")
    gz = feed_reply(prepared, "GET", b"", GZIP)
    assert gz.body is resource.gzipped
    assert budget.held == resource.size  # the download variant only


def test_past_the_budget_the_first_inflated_is_forgotten_and_inflated_again(
    feeds: FeedSet, budget: Inflated
) -> None:
    paths = sorted(feeds.resources)
    prepared = [Prepared(feeds.resources[path], 3600) for path in paths]
    sizes = [p.size for p in prepared]
    assert sum(sizes) > budget.budget  # the test needs more than fits
    for one in prepared:
        assert feed_reply(one, "GET", b"", []).body == feeds.resources[one.resource.path].body
        assert budget.held <= budget.budget or sum(p.identity[0] is not None for p in prepared) == 1
    kept = [p.identity[0] is not None for p in prepared]
    assert kept[-1]
    assert not kept[0]
    assert budget.held == sum(s for s, k in zip(sizes, kept, strict=True) if k)
    again = feed_reply(prepared[0], "GET", b"", [])  # inflated again, the same bytes
    assert again.body == feeds.resources[paths[0]].body
    assert prepared[0].identity[0] is again


def test_one_answer_larger_than_the_budget_is_still_answered(
    feeds: FeedSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny = Inflated(10)
    monkeypatch.setattr(web, "INFLATED", tiny)
    prepared = Prepared(feeds.resources[ALL], 3600)
    assert feed_reply(prepared, "GET", b"", []).body == feeds.resources[ALL].body
    other = Prepared(feeds.resources[ALL], 3600)
    assert feed_reply(other, "GET", b"", []).body == feeds.resources[ALL].body
    assert prepared.identity[0] is None
    assert other.identity[0] is not None
    assert tiny.held == other.size


def test_a_page_is_kept_as_gzip_and_answers_its_bytes(budget: Inflated) -> None:
    html = b"<!doctype html><title>Plan</title>" + "<p>Xocalı</p>".encode() * 2000
    page = html_page(html, "default-src 'none'", "az")
    assert page.identity == [None]
    assert page.body == html  # inflated from the gzip form
    plain = page_reply(page, "GET", [])
    assert plain.body == html
    assert dict(plain.headers)[b"content-length"] == str(len(html)).encode()
    assert page_reply(page, "GET", GZIP).body == page.gzipped
    assert gzip.decompress(page.gzipped) == html
    assert page_reply(page, "HEAD", []).body == b""
    twin = html_page(page.body, page.csp, "az", b"accept-encoding, accept-language", page.gzipped)
    assert twin.gzipped is page.gzipped
    assert twin.etags == page.etags


def test_the_app_answers_every_feed_and_page_in_both_forms(
    feeds: FeedSet, budget: Inflated
) -> None:
    """Through the ASGI app, with a budget smaller than the feeds: every answer right twice."""
    application = App(Site(feeds))
    for _ in range(2):
        for path, resource in sorted(feeds.resources.items()):
            if resource.private:
                continue
            plain = call(application, "GET", path)
            assert (plain.status, plain.body) == (200, resource.body), path
            assert plain.headers["content-length"] == str(resource.size)
            gz = call(application, "GET", path, GZIP)
            assert gzip.decompress(gz.body) == resource.body, path
        page = call(application, "GET", "/plan/2027")
        gz_page = call(application, "GET", "/plan/2027", GZIP)
        assert page.status == gz_page.status == 200
        assert gzip.decompress(gz_page.body) == page.body
    assert budget.held <= budget.budget
