"""An image's width and height, end to end: the gate refuses what is no size, the archive keeps
both through revisions, export and import, and pages, feeds and JSON-LD carry them."""

from __future__ import annotations

import json
import struct

import feedparser
import pytest
import sqlite_utils
from jsonschema import Draft202012Validator
from lxml import etree

from archive import InvalidStory, Media, open_archive
from archive.db.schema import migrations
from archive.story.fields import MAX_PIXELS
from service import demo
from service.api.openapi import SCHEMAS
from tests.support.api import assert_problem, create, snapshot
from tests.support.archives import everything, fresh
from tests.support.feeds import ATOM, build, needs_schemas
from tests.support.pages import html_of
from tests.support.paths import SCHEMAS as ATOM_SCHEMAS
from tests.support.stories import NOW, make_story

BRIDGE = {
    "url": "https://images.example/bridge.jpg",
    "caption": "The bridge at dawn.",
    "credit": "Lena Ortiz / Masthead",
    "width": 1600,
    "height": 1067,
}
MEDIA_RSS = "{http://search.yahoo.com/mrss/}"
# Sizes that are no size, each with the field the error names.
NOT_SIZES = [
    ({"width": True, "height": 480}, "media[0].width"),
    ({"width": 640, "height": False}, "media[0].height"),
    ({"width": 3.5, "height": 480}, "media[0].width"),
    ({"width": "640", "height": 480}, "media[0].width"),
    ({"width": 0, "height": 480}, "media[0].width"),
    ({"width": 640, "height": -1}, "media[0].height"),
    ({"width": MAX_PIXELS + 1, "height": 480}, "media[0].width"),
    ({"width": 640}, "media[0].height"),
    ({"height": 480}, "media[0].width"),
    ({"width": 640, "height": None}, "media[0].height"),
]


@pytest.mark.parametrize(("size", "field"), NOT_SIZES, ids=[str(s) for s, _ in NOT_SIZES])
def test_a_script_saving_no_size_is_refused_naming_the_field(archive, size, field):
    story = make_story().replace(media=(Media(url=BRIDGE["url"], **size),))
    with pytest.raises(InvalidStory) as refused:
        archive.save(story, now=NOW)
    assert field in [problem.field for problem in refused.value.found]
    assert archive.count() == 0


@pytest.mark.parametrize(("size", "field"), NOT_SIZES, ids=[str(s) for s, _ in NOT_SIZES])
def test_the_api_refuses_no_size_with_a_problem_naming_the_field(
    client, api_tokens, settings, size, field
):
    before = snapshot(settings)
    media = [{"url": BRIDGE["url"], **size}]
    response = client.post(
        "/api/stories",
        json={"title": "Harbour", "status": "published", "media": media},
        headers=api_tokens["write"],
    )
    problem = assert_problem(response, 422, field)
    pointer = "#/" + field.replace("[", "/").replace("].", "/").replace(".", "/")
    assert pointer in [error["pointer"] for error in problem["errors"]]
    assert snapshot(settings) == before


@pytest.mark.parametrize(("size", "_field"), NOT_SIZES, ids=[str(s) for s, _ in NOT_SIZES])
def test_the_openapi_description_refuses_what_the_archive_refuses(size, _field):
    story = {"title": "Harbour", "status": "published", "media": [{**size}]}
    assert not Draft202012Validator(SCHEMAS["StoryInput"]).is_valid(story)


@pytest.mark.parametrize(
    "size", [{}, {"width": None, "height": None}, {"width": 1, "height": MAX_PIXELS}]
)
def test_both_or_neither_is_a_size(archive, size):
    story = make_story(media=[{"url": BRIDGE["url"], **size}])
    saved = archive.save(story, now=NOW)
    assert (saved.lead_image.width, saved.lead_image.height) == (
        size.get("width"),
        size.get("height"),
    )
    assert Draft202012Validator(SCHEMAS["StoryInput"]).is_valid(
        {"title": "Harbour", "status": "published", "media": [size]}
    )


def test_a_json_number_without_a_fraction_is_a_whole_number(client, api_tokens):
    story = create(client, api_tokens, media=[{**BRIDGE, "width": 1600.0}]).get_json()
    assert story["media"][0]["width"] == 1600


def test_the_size_is_answered_kept_in_revisions_and_null_when_unknown(client, api_tokens, archive):
    story = create(client, api_tokens, media=[BRIDGE, {"url": "https://images.example/b.jpg"}])
    answered = story.get_json()
    assert [(m["width"], m["height"]) for m in answered["media"]] == [(1600, 1067), (None, None)]
    assert client.get(story.headers["Location"]).get_json() == answered

    changed = client.patch(
        story.headers["Location"],
        json={"media": [{**BRIDGE, "width": 800, "height": 534}]},
        headers={**api_tokens["write"], "If-Match": story.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.get_json()
    sizes = [
        [(m["width"], m["height"]) for m in revision.snapshot["media"]]
        for revision in archive.history(answered["id"])
    ]
    assert sizes == [[(1600, 1067), (None, None)], [(800, 534)]]
    # The revision page shows the image as it was then, at the size it had.
    [image] = html_of(client.get(f"{answered['path']}revisions/1/")).cssselect("figure img")
    assert (image.get("width"), image.get("height")) == ("1600", "1067")


def test_export_then_import_keeps_the_size(archive, runner, settings, make_settings, tmp_path):
    saved = archive.save(make_story(media=[BRIDGE]), now=NOW)
    archive.save(saved.replace(title="Harbour bridge reopens at last"), now=NOW)
    exported = tmp_path / "stories.jsonl"
    assert runner.invoke(args=["export", str(exported), "--revisions"]).exit_code == 0
    [line] = exported.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["media"][0]["width"] == 1600

    copy, copy_runner, _ = fresh(make_settings, tmp_path)
    result = copy_runner.invoke(args=["import", str(exported)])
    assert "1 created" in result.output, result.output
    assert everything(copy) == everything(settings)
    with open_archive(copy.archive_path) as restored:
        image = restored.get(saved.id).lead_image
        assert (image.width, image.height) == (1600, 1067)


# What readers and machines are given


def test_the_page_reserves_the_image_space_and_keeps_it_fluid(archive, client):
    saved = archive.save(make_story(media=[BRIDGE]), now=NOW)
    page = html_of(client.get(saved.path))
    [image] = page.cssselect("figure.lead-image img")
    assert (image.get("width"), image.get("height")) == ("1600", "1067")
    assert image.get("alt") == ""  # decorative: the figcaption says what it shows, once
    stylesheet = client.get("/static/style.css").get_data(as_text=True)
    assert "figure img { max-width: 100%; height: auto;" in stylesheet


def test_an_image_of_unknown_size_has_no_size_attributes(archive, client):
    saved = archive.save(make_story(media=[{"url": BRIDGE["url"]}]), now=NOW)
    [image] = html_of(client.get(saved.path)).cssselect("figure.lead-image img")
    assert (image.get("width"), image.get("height")) == (None, None)


def test_json_ld_gives_the_image_its_size(archive, client):
    saved = archive.save(make_story(media=[BRIDGE]), now=NOW)
    page = html_of(client.get(saved.path))
    [script] = page.cssselect("script[type='application/ld+json']")
    image = json.loads(script.text)["image"]
    assert image["@type"] == "ImageObject"
    assert (image["width"], image["height"]) == (1600, 1067)

    unknown = archive.save(make_story(slug="unknown", media=[{"url": BRIDGE["url"]}]), now=NOW)
    [script] = html_of(client.get(unknown.path)).cssselect("script[type='application/ld+json']")
    assert "width" not in json.loads(script.text)["image"]


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_media_rss_content_carries_the_size(archive, settings, fmt):
    archive.save(make_story(media=[BRIDGE], published_at="2026-11-20T09:00:00Z"), now=NOW)
    build(archive, settings)
    feed = feedparser.parse(archive.rendition(f"latest.{fmt}").body)
    assert feed.bozo == 0, feed.get("bozo_exception")
    [content] = feed.entries[0].media_content
    assert (content["width"], content["height"]) == ("1600", "1067")


@needs_schemas
def test_an_atom_feed_with_sized_images_stays_valid(archive, settings):
    archive.save(make_story(media=[BRIDGE], published_at="2026-11-20T09:00:00Z"), now=NOW)
    build(archive, settings)
    tree = etree.fromstring(archive.rendition("latest.atom").body)
    schema = etree.RelaxNG(etree.parse(str(ATOM_SCHEMAS / "atom.rng")))
    assert schema.validate(tree), schema.error_log
    content = tree.find(f"{ATOM}entry/{MEDIA_RSS}content")
    assert (content.get("width"), content.get("height")) == ("1600", "1067")


def test_demo_story_pages_show_image_sizes(archive, client):
    assert demo.seed(archive, now=NOW)
    pictured = [s for s in archive.latest(limit=50) if s.lead_image and s.lead_image.url]
    assert pictured
    for story in pictured:
        [image] = html_of(client.get(story.path)).cssselect("figure.lead-image img")
        assert int(image.get("width")) > 0, story.slug
        assert int(image.get("height")) > 0, story.slug


# Archives from before


def test_an_archive_from_before_sizes_opens_and_keeps_its_images(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    migrations.apply(db, stop_before="m009_image_dimensions")
    assert "width" not in db["media"].columns_dict
    published = "2026-11-20T10:00:00+00:00"
    db["stories"].insert(
        {
            "id": 1,
            "slug": "harbour",
            "title": "Harbour",
            "status": "published",
            "was_published": 1,
            "path": "/2026/11/20/harbour/",
            "published_at": published,
            "updated_at": published,
            "local_date": "2026-11-20",
            "revision": 1,
        }
    )
    old_image = {k: v for k, v in BRIDGE.items() if k not in ("width", "height")}
    db["media"].insert({"story_id": 1, "position": 0, **old_image})
    db.conn.commit()
    db.close()

    with open_archive(path) as archive:
        image = archive.get(1).lead_image
        assert image == Media(**old_image)  # kept, its size unknown
        sized = archive.save(archive.get(1).replace(media=(Media(**BRIDGE),)), now=NOW)
        assert archive.get(sized.id).lead_image == Media(**BRIDGE)


def test_demo_pictures_are_the_sites_own_files(archive, client, settings):
    assert demo.seed(archive, now=NOW, base_url=settings.site.base_url)
    pictured = [s.lead_image for s in archive.latest(limit=50) if s.lead_image]
    assert pictured
    for image in pictured:
        assert image.url.startswith(settings.site.base_url + "/static/demo-")
        with client.get(image.url.removeprefix(settings.site.base_url)) as response:
            assert response.status_code == 200, image.url
            assert response.mimetype == "image/png"
            size = struct.unpack(">II", response.data[16:24])  # the PNG's IHDR width and height
        assert size == (image.width, image.height)
        assert image.credit
