"""The parsers' quadratic cases are refused before any parser reads them, on every way in: an
element with very many attributes, very many entity references, Markdown tables too wide or
too long. Each refusal names the file (or the field) and the limit."""

from __future__ import annotations

import json

import pytest

from archive import InvalidStory, story_from_dict
from archive.ingest.formats import (
    MAX_MARKDOWN_TABLE_CELLS,
    MAX_MARKDOWN_TABLE_ROWS,
    MAX_PAGE_ENTITIES,
)
from archive.story.fields import MAX_ATTRIBUTES, MAX_ENTITIES
from archive.story.models import most_attributes
from tests.support.api import story_json
from tests.support.stories import NOW


def attributes(count: int, tag: str = "p") -> str:
    return f"<{tag} " + " ".join(f"a{n}=x" for n in range(count)) + ">text</" + tag + ">"


def shape(**fields) -> dict:
    return {"title": "Harbour bridge reopens", "status": "draft", **fields}


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def test_attributes_are_counted_as_parsers_read_them():
    assert most_attributes("<p class=x id=\"a b\" data-x='1' hidden>t</p><br>") == 4
    assert most_attributes('<img alt="a > b <i x=1 y=2 z=3>" src=x>') == 2  # > in a value
    assert most_attributes("<p данные=1 بيانات=2 数据=3>текст</p>") == 3
    assert most_attributes("1 < 2 and a<b c d>") == 2  # what a parser makes of it too
    assert most_attributes("</p class=x y=z>") == 0  # an end tag's attributes are no element's
    assert most_attributes(attributes(50_000), stop_past=10) == 11


def test_a_body_with_attributes_to_the_limit_is_kept_and_more_are_refused(archive):
    archive.save(story_from_dict(shape(body=attributes(MAX_ATTRIBUTES))), now=NOW)
    with pytest.raises(InvalidStory) as refused:
        archive.save(story_from_dict(shape(slug="more", body=attributes(100_000))), now=NOW)
    [problem] = refused.value.found
    assert problem.field == "body"
    assert f"more than {MAX_ATTRIBUTES:,} attributes" in problem.message


def test_a_body_with_too_many_entity_references_is_refused(archive):
    archive.save(story_from_dict(shape(body="<p>" + "&amp;" * MAX_ENTITIES + "</p>")), now=NOW)
    body = "<p>" + "&amp;" * (MAX_ENTITIES + 1) + "</p>"
    with pytest.raises(InvalidStory) as refused:
        archive.save(story_from_dict(shape(slug="more", body=body)), now=NOW)
    assert f"{MAX_ENTITIES + 1:,} entity references" in str(refused.value)
    assert f"at most {MAX_ENTITIES:,}" in str(refused.value)


def test_the_api_refuses_a_body_with_too_many_attributes(client, api_tokens):
    sent = story_json(body=attributes(100_000, tag="span"))
    answer = client.post("/api/stories", json=sent, headers=api_tokens["write"])
    assert answer.status_code == 422
    [error] = answer.get_json()["errors"]
    assert error["pointer"] == "#/body"
    assert "attributes" in error["detail"]


def test_a_saved_page_with_300000_attributes_on_one_element_is_refused_by_name(runner, tmp_path):
    page = tmp_path / "attributes.html"
    padding = "<p>" + "A paragraph of the article. " * 40 + "</p>"
    page.write_text(
        "<html><head><title>Harbour bridge reopens</title></head><body><article>"
        + attributes(300_000, tag="div")
        + padding
        + "</article></body></html>"
    )
    assert page.stat().st_size > 2_800_000  # as the page the review read: 2.9 MB
    good = tmp_path / "good.html"
    good.write_text(
        "<html><head><title>Harbour bridge reopens</title></head><body><article>"
        "<h1>Harbour bridge reopens</h1>" + padding + "</article></body></html>"
    )
    result = runner.invoke(args=["import", str(page), str(good)])
    assert result.exit_code == 1, result.output
    [line] = error_lines(result.output)
    assert line.startswith(f"error: {page}: ")
    assert f"the HTML page has an element with more than {MAX_ATTRIBUTES:,} attributes" in line
    assert "1 created" in result.output


def test_a_saved_page_of_a_million_and_a_half_entities_is_refused_by_name(runner, tmp_path):
    page = tmp_path / "entities.html"
    page.write_text(
        "<html><head><title>Ampersands</title></head><body><article><p>"
        + "&amp;" * 1_500_000
        + "</p></article></body></html>"
    )
    result = runner.invoke(args=["import", str(page)])
    assert result.exit_code == 1
    [line] = error_lines(result.output)
    assert line.startswith(f"error: {page}: the HTML page has 1,500,000 entity references")
    assert f"at most {MAX_PAGE_ENTITIES:,}" in line


def table(rows: int, columns: int, cell: str = "x") -> str:
    line = "|" + "|".join(f" {cell} " for _ in range(columns)) + "|\n"
    rule = "|" + "|".join("---" for _ in range(columns)) + "|\n"
    return line + rule + line * rows


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            table(2, MAX_MARKDOWN_TABLE_CELLS * 40, cell="`x`"),
            f"Markdown line 1 has {MAX_MARKDOWN_TABLE_CELLS * 40 + 1:,} | (table cells; at most "
            f"{MAX_MARKDOWN_TABLE_CELLS} on a line)",
        ),
        (
            table(50_000, 3),
            f"Markdown has 50,002 lines holding a | (table rows; at most "
            f"{MAX_MARKDOWN_TABLE_ROWS:,} in a file)",
        ),
    ],
    ids=["too wide", "too long"],
)
def test_markdown_tables_too_wide_or_too_long_are_refused_before_rendering(
    runner, tmp_path, body, problem
):
    source = tmp_path / "table.md"
    source.write_text("---\ntitle: Results by district\n---\n" + body, encoding="utf-8")
    result = runner.invoke(args=["import", str(source)])
    assert result.exit_code == 1
    assert error_lines(result.output) == [f"error: {source}: {problem}"]


def test_a_real_sized_markdown_table_is_imported(runner, tmp_path, archive):
    source = tmp_path / "results.md"
    columns = 20
    rows = "".join(
        "| Округ " + str(n) + " | " + " | ".join(str(n * c) for c in range(columns - 1)) + " |\n"
        for n in range(300)
    )
    header = "| " + " | ".join(f"C{c}" for c in range(columns)) + " |\n"
    rule = "|" + "---|" * columns + "\n"
    source.write_text("---\ntitle: Итоги по округам\n---\n" + header + rule + rows)
    result = runner.invoke(args=["import", str(source)])
    assert result.exit_code == 0, result.output
    story = archive.by_origin(f"file:{source.resolve()}")
    assert story.body_html.count("<tr>") == 301


def test_a_json_import_of_a_hostile_body_names_the_story_and_the_limit(runner, tmp_path):
    source = tmp_path / "stories.json"
    source.write_text(
        json.dumps([shape(slug="fine", body="<p>Fine.</p>"), shape(body=attributes(50_000))])
    )
    result = runner.invoke(args=["import", str(source)])
    assert result.exit_code == 1
    [line] = error_lines(result.output)
    assert "more than 1,000 attributes" in line
    assert "1 created" in result.output
