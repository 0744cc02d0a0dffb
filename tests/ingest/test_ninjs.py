"""ninjs both ways: IPTC's example items import without losing what Masthead keeps, and every
public story is served as a ninjs 3.1 item valid against IPTC's schema."""

from __future__ import annotations

import json

import jsonschema
import pytest

from archive.ingest import formats as ingest
from service import demo
from tests.support.paths import SCHEMAS
from tests.support.stories import NOW

NINJS = SCHEMAS / "ninjs"
EXAMPLES = sorted((NINJS / "examples").glob("*.json"))


@pytest.fixture(scope="module")
def validator():
    schema = json.loads((NINJS / "ninjs-schema_3.1.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_iptc_examples_are_ninjs_we_can_validate(validator):
    assert EXAMPLES
    for path in EXAMPLES:
        validator.validate(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_an_iptc_example_imports_keeping_every_field_masthead_keeps(runner, archive, path):
    item = json.loads(path.read_text(encoding="utf-8"))
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    [story] = archive.latest(limit=5)
    headline = next(h["value"] for h in item["headlines"] if h.get("role") == "main")
    assert story.title == headline
    if "by" in item:
        assert ", ".join(a.name for a in story.authors).replace(", ", " and ") == item["by"]
    assert story.updated_at.isoformat().startswith(item["versionCreated"][:16])
    if "language" in item:
        assert story.language == item["language"]
    if "copyrightNotice" in item:
        assert story.rights.statement == item["copyrightNotice"]
        assert story.rights.holder == "The News Agency, www.tna.org"
    for body in item.get("bodies", []):
        if body["role"] == "richtext":
            first = body["value"].split("</p>")[0].removeprefix("<p>")
            assert first in story.body_html
    if item["type"] == "picture":
        [main] = [r for r in item["renditions"] if r["name"] == "main"]
        [media] = story.media
        assert media.url == main["href"]
        assert (media.width, media.height) == (main["width"], main["height"])
        assert media.credit == item["by"]
        assert story.summary == item["descriptions"][0]["value"]


def test_a_ninjs_item_keeps_rights_origin_pictures_and_offsets():
    item = {
        "uri": "urn:agency:item:42",
        "type": "text",
        "firstCreated": "2026-11-24T09:00:00-03:00",
        "versionCreated": "2026-11-24T10:30:00-03:00",
        "language": "pt-BR",
        "headlines": [
            {"role": "main", "value": "Chuva em São Paulo"},
            {"role": "sub", "value": "Alerta da Defesa Civil"},
        ],
        "people": [{"name": "Ana Souza", "rel": "author"}, {"name": "Prefeito", "rel": "about"}],
        "copyrightHolder": "Agência Exemplo",
        "copyrightNotice": "© 2026 Agência Exemplo",
        "usageTerms": "Uso editorial apenas.",
        "infoSources": [
            {"name": "Agência Exemplo", "role": "originator", "uri": "https://agencia.example/"}
        ],
        "subjects": [{"name": "clima"}],
        "located": "SÃO PAULO",
        "associations": [
            {
                "name": "foto",
                "uri": "urn:agency:photo:1",
                "type": "picture",
                "by": "João Lima / Agência Exemplo",
                "renditions": [
                    {
                        "name": "main",
                        "href": "https://agencia.example/1.jpg",
                        "width": 800,
                        "height": 600,
                        "contentType": "image/jpeg",
                    }
                ],
                "descriptions": [{"role": "caption", "value": "Rua alagada"}],
            }
        ],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": "Um.\n\nDois."}],
    }
    [story] = ingest.stories_from(json.dumps(item), "json")
    assert story.title == "Chuva em São Paulo"
    assert story.dek == "Alerta da Defesa Civil"
    assert [a.name for a in story.authors] == ["Ana Souza"]
    assert story.language == "pt-BR"
    assert story.rights.holder == "Agência Exemplo"
    assert story.rights.statement == "© 2026 Agência Exemplo Uso editorial apenas."
    assert story.publisher.name == "Agência Exemplo"
    assert story.tags == ("clima",)
    assert story.dateline == "SÃO PAULO"
    assert story.body_html == "<p>Um.</p>\n<p>Dois.</p>"
    [photo] = story.media
    assert photo.credit == "João Lima / Agência Exemplo"
    assert photo.caption == "Rua alagada"
    assert photo.holder == "Agência Exemplo"


def test_every_demo_story_is_valid_ninjs_with_its_attribution(app, archive, client, validator):
    demo.seed(archive, now=NOW)
    stories = archive.latest(limit=100)
    assert stories
    for story in stories:
        answer = client.get(f"{story.path}ninjs.json")
        assert answer.status_code == 200
        item = answer.get_json()
        validator.validate(item)
        assert item["uri"] == story.entry_id
        assert item["version"] == str(story.revision)
        assert item["headlines"][0]["value"] == story.title
        if story.authors:
            assert [p["name"] for p in item["people"]] == [a.name for a in story.authors]
        if story.publisher:
            assert item["infoSources"][0] == {
                "name": story.publisher.name,
                "role": "originator",
                **({"uri": u} if (u := story.original_url or story.publisher.url) else {}),
            }
            assert item["copyrightHolder"] != app.config["MASTHEAD"].site.rights_holder
        for picture, media in zip(item.get("associations", []), story.media, strict=False):
            assert picture.get("by", "") == media.credit
    latest = client.get("/ninjs/latest.json")
    items = latest.get_json()
    assert [i["uri"] for i in items] == [s.entry_id for s in stories[:50]]
    for item in items:
        validator.validate(item)


def test_a_served_item_imports_back_as_the_same_story(app, archive, client):
    demo.seed(archive, now=NOW)
    story = next(s for s in archive.latest(limit=100) if s.authors and s.media)
    item = client.get(f"{story.path}ninjs.json").get_json()
    [again] = ingest.stories_from(json.dumps(item), "json")
    assert again.title == story.title
    assert [a.name for a in again.authors] == [a.name for a in story.authors]
    assert again.published_at == story.published_at
    assert [m.url for m in again.media] == [m.url for m in story.media]
    assert [m.credit for m in again.media] == [m.credit for m in story.media]


def test_a_draft_has_no_ninjs(client, archive):
    from archive import Story

    draft = archive.save(Story(title="Not yet", slug="not-yet", status="draft"), now=NOW)
    assert draft.path is None
    assert client.get("/2026/11/24/not-yet/ninjs.json").status_code == 404
