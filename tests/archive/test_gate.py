"""One gate: archive/story/fields.py decides what a valid story is, on every way in and every way
out.

Errors name the field and its JSON Pointer; limits hold for a script, the API and imports
alike; plain text stays text and body URLs keep to http(s), mailto or relative in every format.
"""

from __future__ import annotations

import json
import time

import feedparser
import lxml.html
import pytest
from lxml import etree

from archive import FieldProblem, InvalidStory, open_archive, story_from_dict
from archive.story.fields import MAX_BODY_DEPTH, MAX_REASON_LENGTH, STORY_FIELDS, Field
from archive.story.models import nesting_depth
from service.feeds import renditions
from tests.support.api import story_json
from tests.support.stories import NOW

PUBLISHED = "2026-11-20T09:00:00+00:00"
# Worst case for an HTML parser: elements nested this deep took nh3 minutes.
DEEP = 80_000
# Quotes whose cite= would run script if a page or reader followed it.
HOSTILE_QUOTES = (
    '<blockquote cite="javascript:alert(1)"><p>Quoted.</p></blockquote>'
    '<p><q cite=" JaVaScRiPt:alert(2)">Said.</q> <a href="javascript:alert(3)">link</a>'
    ' <q cite="https://example.com/said">Fine.</q> <q cite="/2014/said/">Relative.</q></p>'
)
HOSTILE_TEXT = "<img src=x onerror=alert(1)> & friends"


def shape(**fields):
    base = {"title": "Harbour bridge reopens", "status": "published", "published_at": PUBLISHED}
    return {**base, **fields}


def refusal(archive, data) -> InvalidStory:
    """The refusal of a story; the archive is left as it was."""
    before = archive.count()
    with pytest.raises(InvalidStory) as refused:
        archive.save(story_from_dict(data), now=NOW)
    assert archive.count() == before
    return refused.value


# Errors: the field, its JSON Pointer and a message, from the archive up to the API.


def test_refusal_names_each_field_with_its_json_pointer(archive):
    refused = refusal(
        archive,
        shape(
            authors=[{"name": "Helen"}, {"name": "Ravi", "url": "javascript:alert(1)"}],
            media=[{"caption": "Dawn\x07"}],
            tags=["ok", "x" * 201],
        ),
    )
    found = {(p.field, p.pointer) for p in refused.found}
    assert found == {
        ("authors[1].url", "/authors/1/url"),
        ("media[0].caption", "/media/0/caption"),
        ("tags[1]", "/tags/1"),
    }
    assert all(isinstance(p, FieldProblem) for p in refused.found)
    assert refused.problems == [p.message for p in refused.found]
    assert "authors[1].url 'javascript:alert(1)' is not an absolute http(s) URL" in str(refused)


def test_api_errors_come_from_the_archive_problems(client, api_tokens):
    sent = story_json(
        authors=[{"name": "Helen", "url": "mailto:helen@example.com"}], **{"a/b~c": 1}
    )
    response = client.post("/api/stories", json=sent, headers=api_tokens["write"])
    assert response.status_code == 422
    errors = {e["field"]: e for e in response.get_json()["errors"]}
    assert errors["authors[0].url"]["pointer"] == "#/authors/0/url"
    assert errors["authors[0].url"]["in"] == "body"
    assert "not an absolute http(s) URL" in errors["authors[0].url"]["detail"]
    # A key holding / and ~ is escaped as RFC 6901 says, not split at them.
    assert errors["a/b~c"]["pointer"] == "#/a~1b~0c"


def test_withdrawal_reason_keeps_to_its_limit(archive, client, api_tokens):
    story = archive.save(story_from_dict(shape()), now=NOW)
    with pytest.raises(InvalidStory, match="reason is 2001 characters long"):
        archive.withdraw(story.id, reason="x" * (MAX_REASON_LENGTH + 1), now=NOW)
    response = client.delete(
        f"/api/stories/{story.id}",
        json={"reason": "Legal\x00"},
        headers=api_tokens["write"],
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "#/reason"
    assert archive.get(story.id).status == "published"


# Limits: each field of the table, at its limit and one past it, saved from a script.


def limited_fields(fields: dict[str, Field], path=()):
    """(path, field) for every plain-text and URL field with a length limit, nested too."""
    for key, spec in fields.items():
        where = (*path, key)
        if spec.kind in ("text", "url") and spec.pattern is None:
            yield where, spec
        elif spec.kind == "list" and spec.item.kind == "text":
            yield (*where, 0), spec.item
        elif spec.kind == "list":
            yield from limited_fields(spec.item.parts, (*where, 0))
        elif spec.kind == "object":
            yield from limited_fields(spec.parts, where)


def with_value(path, value) -> dict:
    """A valid story with `value` at `path` (lists and objects made on the way)."""
    data = shape(authors=[{"name": "Helen"}], sources=[{"name": "Mara"}])
    data.update(media=[{}], publisher={"name": "Agence"}, rights={}, tags=["x"])
    holder = data
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = value
    return data


def long_value(spec: Field, length: int) -> str:
    if spec.kind == "url":
        start = "https://example.com/"
        return start + "a" * (length - len(start))
    return "é" * length


LIMITED = list(limited_fields(STORY_FIELDS))


@pytest.mark.parametrize(("path", "spec"), LIMITED, ids=[str(p) for p, _ in LIMITED])
def test_every_limited_field_takes_its_limit_and_refuses_one_more(archive, path, spec):
    pointer = "/" + "/".join(map(str, path))
    with pytest.raises(InvalidStory) as refused:
        archive.save(story_from_dict(with_value(path, long_value(spec, spec.max_length + 1))))
    assert [p.pointer for p in refused.value.found] == [pointer]
    assert f"at most {spec.max_length}" in refused.value.problems[0]
    saved = archive.save(story_from_dict(with_value(path, long_value(spec, spec.max_length))))
    assert saved.id is not None


@pytest.mark.parametrize("key", ["tags", "authors", "media", "sources"])
def test_every_list_takes_its_limit_and_refuses_one_more(archive, key):
    most = STORY_FIELDS[key].max_items
    item = {"tags": "t{}", "authors": {"name": "A{}"}, "media": {}, "sources": {"name": "S{}"}}
    template = item[key]

    def items(count):
        if isinstance(template, str):
            return [template.format(n) for n in range(count)]
        return [{k: v.format(n) for k, v in template.items()} for n in range(count)]

    refused = refusal(archive, shape(**{key: items(most + 1)}))
    assert [p.field for p in refused.found] == [key]
    assert f"{key} has {most + 1} items (at most {most})" in refused.problems
    assert archive.save(story_from_dict(shape(**{key: items(most)})), now=NOW).id


@pytest.mark.parametrize("slug", ["harbour\n", "harbour-", "Harbour", "harbour--bridge", "a b"])
def test_slug_must_be_a_slug_to_its_very_end(archive, slug):
    refused = refusal(archive, shape(slug=slug))
    assert [p.field for p in refused.found] == ["slug"]


def test_url_fields_take_only_web_urls(archive):
    for url in ("javascript:alert(1)", "mailto:desk@example.com", "data:,x", "/relative"):
        refused = refusal(archive, shape(publisher={"name": "Agence", "url": url}))
        assert [p.field for p in refused.found] == ["publisher.url"]


# Body nesting: counted on the raw text before any parser reads it.


def nested(depth: int) -> str:
    return "<div>" * depth + "deep" + "</div>" * depth


def test_nesting_depth_reads_tags_as_parsers_nest_them():
    assert nesting_depth("<p>one<p>two<p>three") == 0  # a parser closes each <p> itself
    assert nesting_depth("<div><br><img src=x><hr></div>") == 1
    assert nesting_depth("<div></i></i></i><div></div></div>") == 2  # stray ends close nothing
    assert nesting_depth("<ul><li><ul><li>x</ul></ul>") == 2
    assert nesting_depth("<b>" * 10) == 10  # never closed: still open
    assert nesting_depth("<div/>" * 10) == 10  # HTML has no self-closing div


def test_body_nested_to_the_limit_is_kept_and_deeper_is_refused(archive):
    saved = archive.save(story_from_dict(shape(body=nested(MAX_BODY_DEPTH))), now=NOW)
    assert saved.body_text == "deep"
    refused = refusal(archive, shape(slug="deeper", body=nested(MAX_BODY_DEPTH + 1)))
    assert [p.field for p in refused.found] == ["body"]
    assert f"more than {MAX_BODY_DEPTH} deep" in refused.problems[0]


def test_deeply_nested_body_is_refused_quickly_on_every_way_in(
    archive, client, api_tokens, runner, settings, tmp_path
):
    body = nested(DEEP)
    started = time.monotonic()
    with pytest.raises(InvalidStory, match="body nests elements more than"):
        archive.save(story_from_dict(shape(body=body)), now=NOW)
    response = client.post("/api/stories", json=story_json(body=body), headers=api_tokens["write"])
    assert response.status_code == 422
    assert [e["pointer"] for e in response.get_json()["errors"]] == ["#/body"]
    source = tmp_path / "deep.json"
    source.write_text(json.dumps(shape(body=body)))
    result = runner.invoke(args=["import", str(source)])
    assert result.exit_code != 0
    assert "body nests elements more than" in result.output
    assert time.monotonic() - started < 5  # nh3 alone would take minutes on this body
    assert archive.count() == 0


# Plain text stays text, and body URLs keep to safe schemes, in every format.


def build(archive, settings):
    return renditions.rebuild_pending(archive, settings, now=NOW, everything=True)


def test_plain_text_with_markup_stays_text_in_every_feed(archive, settings):
    story = archive.save(
        story_from_dict(shape(title=HOSTILE_TEXT, summary=HOSTILE_TEXT, body="<p>Body.</p>")),
        now=NOW,
    )
    build(archive, settings)
    rss = archive.rendition("latest.rss").body
    item = etree.fromstring(rss).find("channel/item")
    for name in ("title", "description"):
        # RSS readers read these as HTML: the HTML must be the text, not an image.
        fragment = lxml.html.fragment_fromstring(item.findtext(name), create_parent="div")
        assert not fragment.xpath("//img"), name
        assert fragment.text_content() == HOSTILE_TEXT, name
    parsed = feedparser.parse(rss).entries[0]
    for value in (parsed.title, parsed.summary):
        fragment = lxml.html.fragment_fromstring(value, create_parent="div")
        assert not fragment.xpath("//img")
        assert fragment.text_content() == HOSTILE_TEXT
    atom = feedparser.parse(archive.rendition("latest.atom").body).entries[0]
    assert atom.title_detail.type == "text/plain"
    assert atom.title == HOSTILE_TEXT
    assert atom.summary_detail.type == "text/plain"
    assert atom.summary == HOSTILE_TEXT
    item = json.loads(archive.rendition("latest.json").body)["items"][0]
    assert item["title"] == HOSTILE_TEXT
    assert item["summary"] == HOSTILE_TEXT
    assert "<img" not in item["content_html"]
    assert story.title == HOSTILE_TEXT


def test_summary_only_story_keeps_its_text_in_json_feed_text(archive, settings):
    archive.save(
        story_from_dict(shape(summary=HOSTILE_TEXT, body="<p>Body.</p>", syndication="summary")),
        now=NOW,
    )
    build(archive, settings)
    item = json.loads(archive.rendition("latest.json").body)["items"][0]
    assert "content_html" not in item
    assert item["content_text"] == HOSTILE_TEXT


def assert_quotes_safe(html: str) -> None:
    tree = lxml.html.fragment_fromstring(html, create_parent="div")
    quotes = tree.xpath("//blockquote | //q")
    assert len(quotes) == 4, html
    cites = {q.get("cite") for q in quotes} - {None}
    assert all(c.startswith(("https://", "/")) or "/2014/said/" in c for c in cites), cites
    assert not [u for u in tree.xpath("//@href | //@src | //@cite") if "javascript" in u.lower()]
    assert "Quoted." in tree.text_content()


def stories_in(settings):
    with open_archive(settings.archive_path) as opened:
        return {s.slug: s for s in opened.latest(limit=100)}


def test_script_urls_in_quotes_are_dropped_on_every_way_in_and_out(
    archive, client, api_tokens, runner, settings, tmp_path
):
    archive.save(story_from_dict(shape(slug="by-script", body=HOSTILE_QUOTES)), now=NOW)
    response = client.post(
        "/api/stories",
        json=story_json(slug="by-api", body=HOSTILE_QUOTES, published_at=PUBLISHED),
        headers=api_tokens["write"],
    )
    assert response.status_code == 201, response.get_json()
    assert_quotes_safe(response.get_json()["body"])
    (tmp_path / "by-json.json").write_text(json.dumps(shape(slug="by-json", body=HOSTILE_QUOTES)))
    (tmp_path / "by-markdown.md").write_text(
        f"---\ntitle: By markdown\nslug: by-markdown\nstatus: published\n"
        f"published_at: '{PUBLISHED}'\n---\n\n{HOSTILE_QUOTES}\n"
    )
    result = runner.invoke(args=["import", str(tmp_path)])
    assert result.exit_code == 0, result.output
    stored = stories_in(settings)
    slugs = ("by-script", "by-api", "by-json", "by-markdown")
    for slug in slugs:
        assert_quotes_safe(stored[slug].body_html)
        page = client.get(stored[slug].path)
        assert page.status_code == 200
        article = lxml.html.document_fromstring(page.get_data(as_text=True))
        assert_quotes_safe(lxml.html.tostring(article.xpath("//article")[0], encoding="unicode"))
    build(archive, settings)
    atom = etree.fromstring(archive.rendition("latest.atom").body)
    contents = [c.text for c in atom.iter("{http://www.w3.org/2005/Atom}content")]
    rss = etree.fromstring(archive.rendition("latest.rss").body)
    # feedgen puts the body in content:encoded beside a summary, else in <description>.
    contents += [
        (item.findtext("{*}encoded") or item.findtext("description")) for item in rss.iter("item")
    ]
    contents += [
        i["content_html"] for i in json.loads(archive.rendition("latest.json").body)["items"]
    ]
    assert len(contents) == 3 * len(slugs)
    for html in contents:
        assert_quotes_safe(html)


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_if_match_with_an_empty_entity_tag_answers_412_not_500(client, api_tokens, method):
    """Found by the stateful phase: an empty quoted tag in If-Match has no value to compare."""
    created = client.post("/api/stories", json=story_json(), headers=api_tokens["write"])
    url = created.headers["Location"]
    headers = {**api_tokens["write"], "If-Match": '"", "H"'}
    body = {"reason": "Legal"} if method == "delete" else {"dek": "x"}
    response = getattr(client, method)(url, json=body, headers=headers)
    assert response.status_code == 412
    assert client.get(url).get_json()["revision"] == 1
