"""`masthead export --bag`: a BagIt deposit package that `bagit.py --validate` accepts, holding
the WARC, the public stories with their revisions, and a README."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import bagit
import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.support.stories import NOW, SYNDICATED, make_story

BAGIT = Path(sys.executable).with_name("bagit.py")


@pytest.fixture
def stories(archive):
    """A story edited once, then sent back to draft; one in Cyrillic edited once; a draft never
    published."""
    story = archive.save(make_story(SYNDICATED, slug="bridge"), now=NOW)
    story = archive.save(story.replace(dek="Edited."), now=NOW + timedelta(1))
    archive.save(story.replace(status="draft", dek="Draft."), now=NOW + timedelta(2))
    most = archive.save(
        make_story(SYNDICATED, title="Мост открыт", slug="most", language="ru"), now=NOW
    )
    archive.save(most.replace(dek="Исправлено."), now=NOW + timedelta(1))
    archive.save(make_story(SYNDICATED, title="Secret", slug="secret", status="draft"), now=NOW)
    return story


def validate(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([BAGIT, "--validate", str(folder)], capture_output=True, text=True)


def test_bag_holds_the_warc_the_stories_and_a_readme_and_validates(stories, runner, tmp_path):
    folder = tmp_path / "deposit"
    result = runner.invoke(args=["export", "--bag", str(folder)])
    assert result.exit_code == 0, result.output
    checked = validate(folder)
    assert checked.returncode == 0, checked.stderr
    bag = bagit.Bag(str(folder))
    assert bag.is_valid()
    assert set(bag.payload_files()) == {
        "data/site.warc.gz",
        "data/stories.jsonl",
        "data/README.txt",
    }
    assert set(bag.algorithms) == {"sha256", "sha512"}
    assert bag.info["Source-Organization"]
    lines = [json.loads(line) for line in (folder / "data/stories.jsonl").read_text().splitlines()]
    assert sorted(line["slug"] for line in lines) == ["bridge", "most"]
    most = next(line for line in lines if line["slug"] == "most")
    assert [r["revision"] for r in most["revisions"]] == [1, 2]
    # Back in draft, the story is to the public the tombstone of what was published.
    bridge = next(line for line in lines if line["slug"] == "bridge")
    assert "revisions" not in bridge
    assert "Draft." not in json.dumps(bridge)
    with (folder / "data/site.warc.gz").open("rb") as stream:
        uris = {r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(stream)}
    assert f"https://news.example{stories.path}" in uris
    readme = (folder / "data/README.txt").read_text()
    assert "2 public stories" not in readme  # the count is written as a number in its place
    assert "(2)" in readme
    # A changed byte is caught by the same validation.
    with (folder / "data/stories.jsonl").open("a") as out:
        out.write("\n")
    assert validate(folder).returncode != 0


def test_bag_refuses_a_folder_that_is_not_empty_and_replaces_a_bag_only_with_force(
    stories, runner, tmp_path
):
    folder = tmp_path / "deposit"
    folder.mkdir()
    (folder / "thesis.pdf").write_bytes(b"%PDF")
    result = runner.invoke(args=["export", "--bag", str(folder)])
    assert result.exit_code == 1
    assert "not empty" in result.output
    assert [p.name for p in folder.iterdir()] == ["thesis.pdf"]
    assert runner.invoke(args=["export", "--bag", "--force", str(folder)]).exit_code == 1
    other = tmp_path / "bag"
    assert runner.invoke(args=["export", "--bag", str(other)]).exit_code == 0
    assert runner.invoke(args=["export", "--bag", str(other)]).exit_code == 1
    again = runner.invoke(args=["export", "--bag", "--force", str(other)])
    assert again.exit_code == 0, again.output
    assert validate(other).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
