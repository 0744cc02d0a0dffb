"""Page furniture goes by rule: consent buttons, newsletter prompts and share rows from sites in
many languages are dropped wherever they stand, and no paragraph of the article is lost.

tests/fixtures/furniture holds articles as copied from other sites, with their page furniture.
Blocks are separated by blank lines; a line that starts with "✂ " is furniture the importer must
drop (the mark is removed before the text is read). Every other line is the article and must be
kept.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from archive.ingest.extract import extract
from archive.ingest.furniture import is_furniture, without_furniture_lines
from tests.support.paths import FIXTURES

SITES = sorted((FIXTURES / "furniture").glob("*.txt"))
MARK = "✂ "


def read_fixture(path: Path) -> tuple[str, list[str], list[str]]:
    """(the article as copied, its furniture lines, its article lines)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    furniture = [line[len(MARK) :] for line in lines if line.startswith(MARK)]
    article = [line for line in lines if line.strip() and not line.startswith(MARK)]
    raw = "\n".join(line.removeprefix(MARK) for line in lines)
    return raw, furniture, article


def kept_text(raw: str) -> str:
    found = extract(raw)
    parts = [found.title, found.dek, *(text for _, text in found.paragraphs)]
    parts += [found.rights["statement"]] if found.rights else []
    return "\n".join(parts)


def test_fixtures_cover_many_sites_and_languages():
    assert len(SITES) >= 6
    languages = {path.name.split("-")[0] for path in SITES}
    assert {"en", "ru", "de", "fr", "es", "ar", "zh"} <= languages


@pytest.mark.parametrize("path", SITES, ids=[p.stem for p in SITES])
def test_furniture_is_dropped_and_every_paragraph_kept(path):
    raw, furniture, article = read_fixture(path)
    kept = kept_text(raw)
    for line in furniture:
        assert line not in kept, line
    for line in article:
        assert line in kept, line


@pytest.mark.parametrize("path", SITES, ids=[p.stem for p in SITES])
def test_each_furniture_line_is_furniture_and_no_article_line_is(path):
    _, furniture, article = read_fixture(path)
    assert [line for line in furniture if not is_furniture(line)] == []
    assert [line for line in article if is_furniture(line)] == []


@pytest.mark.parametrize(
    "row",
    [
        "Accept all | Reject | Settings",
        "Accept all Reject Settings",
        "OK · Manage cookies",
        "Facebook Twitter WhatsApp Telegram VK",
        "Share: Facebook | X | Telegram | Copy link",
        "Поделиться: ВКонтакте · Одноклассники · Телеграм",
        "Enter your email address",
        "Your email address  Subscribe",
        "name@example.com Sign up",
    ],
)
def test_rows_of_controls_are_furniture(row):
    assert is_furniture(row)


@pytest.mark.parametrize(
    "prose",
    [
        "The minister said he would share the report with Facebook and Twitter before Friday.",
        "Critics say the newsletter, which the ministry asks every resident to sign up for, "
        "spreads propaganda.",
        "Bakers in the town sold cookies and cakes to raise money for the new roof.",
        "The regulator said this website uses cookies without asking its readers first.",
        "You can sign up for the council's newsletter on its website, officials said.",
        "Facebook, Twitter and Telegram were blocked for three days.",
        "Accept it or not, the rules have changed.",
        "Cookies and cream",  # a heading: one furniture word among others is no button
        "Malcolm X",
        "Alexander Vilf / RIA Novosti",
        "The reader who asked to remain anonymous sent us an email from her inbox.",
    ],
)
def test_prose_that_mentions_furniture_words_is_kept(prose):
    assert not is_furniture(prose)


def test_a_furniture_line_inside_a_paragraph_block_goes_and_wrapped_prose_stays():
    text = (
        "The first line of a paragraph ends here.\n"
        "Share this article: Facebook Twitter WhatsApp\n"
        "The next paragraph starts on the line after it.\n\n"
        "A paragraph wrapped by hand mentions networks such as\n"
        "Facebook Twitter WhatsApp\n"
        "and others in the middle of its sentence.\n"
    )
    cleaned = without_furniture_lines(text)
    assert "Share this article" not in cleaned
    assert "such as\nFacebook Twitter WhatsApp\nand others" in cleaned


def test_a_page_of_furniture_lines_is_read_quickly():
    """Each line is checked against every rule: the word lists are searched in one pass each,
    so 200 kB of furniture lines take well under a second, not minutes."""
    text = "Title\n\n" + "Facebook Twitter WhatsApp\nAccept all | Reject\n" * 4_400
    started = time.perf_counter()
    found = extract(text)
    assert time.perf_counter() - started < 10
    assert found.paragraphs == []
