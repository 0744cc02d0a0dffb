"""FeedScope: the one type that names a feed whatever its format, parsed from and stored as text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive import LATEST, FeedScope, InvalidScope

# (stored string, kind, slug, year, month, filters, Atom key, page path)
EVERY_KIND = [
    ("latest", "latest", "", 0, 0, {}, "latest.atom", "/"),
    ("sections/city", "sections", "city", 0, 0, {"section": "city"}, "sections/city/latest.atom",
     "/sections/city/"),
    ("tags/transport", "tags", "transport", 0, 0, {"tag": "transport"},
     "tags/transport/latest.atom", "/tags/transport/"),
    ("authors/helen-marsh", "authors", "helen-marsh", 0, 0, {"author": "helen-marsh"},
     "authors/helen-marsh/latest.atom", "/authors/helen-marsh/"),
    ("archive/2014/02", "archive", "", 2014, 2, {}, "archive/2014/02.atom", "/2014/02/"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "kind", "slug", "year", "month", "filters", "atom_key", "page_path"), EVERY_KIND
)
def test_every_kind_parses_and_stores_as_the_same_string(
    text, kind, slug, year, month, filters, atom_key, page_path
):
    scope = FeedScope.parse(text)
    assert (scope.kind, scope.slug, scope.year, scope.month) == (kind, slug, year, month)
    assert scope.key == str(scope) == text
    assert FeedScope.parse(scope.key) == scope
    assert scope.filters == filters
    assert scope.feed_key("atom") == atom_key
    assert scope.feed_path("atom") == f"/feeds/{atom_key}"
    assert scope.page_path == page_path
    assert FeedScope.from_feed_key(atom_key) == (scope, "atom")


def test_the_site_feed_is_one_value():
    assert FeedScope.parse("latest") is LATEST
    assert LATEST.kind == "latest"


def test_a_month_comes_from_a_local_date():
    assert FeedScope.for_local_date("2014-02-24") == FeedScope.parse("archive/2014/02")
    assert FeedScope.for_month(2014, 2).kind == "archive"


def test_scopes_sort_as_their_stored_strings():
    texts = ["tags/b", "latest", "archive/2014/10", "authors/a", "sections/a-b", "sections/a"]
    assert [scope.key for scope in sorted(map(FeedScope.parse, texts))] == sorted(texts)


def test_a_scope_is_immutable_and_hashable():
    scope = FeedScope.parse("tags/transport")
    with pytest.raises(AttributeError):
        scope.slug = "other"  # type: ignore[misc]
    assert {scope, FeedScope.of("tags", "transport")} == {scope}


BAD_SCOPES = [
    "",
    "Latest",
    "latest/",
    "latest/x",
    "sections",
    "sections/",
    "sections/a/b",
    "tags/a b",
    "tags/caf\u00e9",
    "tags/..",
    "tags/x\n",
    "people/x",
    "archive",
    "archive/2014",
    "archive/2014/2",
    "archive/2014/13",
    "archive/2014/00",
    "archive/0000/01",
    "archive/14/02",
    "archive/2014/02/",
    "archive/2014/02/24",
    "/latest",
    "tags/" + "x" * 121,
]


@pytest.mark.parametrize("text", BAD_SCOPES)
def test_a_bad_string_is_refused_naming_it(text):
    with pytest.raises(InvalidScope) as refused:
        FeedScope.parse(text)
    assert repr(text) in str(refused.value)


def test_a_refusal_says_what_a_scope_looks_like():
    with pytest.raises(InvalidScope, match="latest, sections/<slug>"):
        FeedScope.parse("people/x")


@pytest.mark.parametrize(
    ("kind", "slug", "year", "month"),
    [("tags", "", 0, 0), ("latest", "x", 0, 0), ("archive", "", 2014, 13), ("tags", "x", 2014, 1)],
)
def test_parts_that_make_no_scope_are_refused(kind, slug, year, month):
    with pytest.raises(InvalidScope, match="feed scope"):
        FeedScope(kind, slug, year, month)


@pytest.mark.parametrize(
    "key", ["latest", "latest.", "tags/x.atom", "archive/2014/latest.atom", "sections/x/y.rss"]
)
def test_a_feed_key_that_names_no_scope_is_refused(key):
    with pytest.raises(InvalidScope, match="feed key"):
        FeedScope.from_feed_key(key)


def test_an_invalid_scope_is_an_archive_error_and_a_value_error():
    from archive import ArchiveError

    assert issubclass(InvalidScope, ArchiveError)
    assert issubclass(InvalidScope, ValueError)


SLUGS = st.from_regex(r"[A-Za-z0-9._~-]{1,120}", fullmatch=True).filter(lambda s: set(s) != {"."})
SCOPES = st.one_of(
    st.just(LATEST),
    st.builds(FeedScope.of, st.sampled_from(["sections", "tags", "authors"]), SLUGS),
    st.builds(FeedScope.for_month, st.integers(1, 9999), st.integers(1, 12)),
)
FORMATS = st.sampled_from(["atom", "rss", "json"])


@given(SCOPES, FORMATS)
def test_every_scope_round_trips_through_its_key_and_feed_key(scope, fmt):
    assert FeedScope.parse(scope.key) == scope
    assert FeedScope.from_feed_key(scope.feed_key(fmt)) == (scope, fmt)
    assert scope.page_path.startswith("/")
    assert scope.page_path.endswith("/")


@given(st.text(max_size=60) | st.from_regex(r"(latest|sections|tags|authors|archive)/.{0,20}"))
def test_any_string_either_parses_back_to_itself_or_is_refused(text):
    try:
        scope = FeedScope.parse(text)
    except InvalidScope:
        return
    assert scope.key == text
