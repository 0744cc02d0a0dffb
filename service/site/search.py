"""Full-text search of the archive: /search?q= with section, author and date-range filters.

Whatever arrives in the query string gets results or a message saying why there are none;
a bad date filter is a 400 naming the field. Highlights are escaped here, in the template.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request

from archive import slugify
from archive.db.search import MAX_COUNTED, MAX_TERMS
from service.archive_access import get_archive
from service.site.pagination import PAGE_SIZE, page_number, page_of
from service.site.templating import render_page

bp = Blueprint("search", __name__)

# Query-string fields of the search form, as (name, label).
FILTERS = (("section", "Section"), ("author", "Author"), ("from", "From"), ("to", "To"))


@bp.get("/search")
def search_stories():
    form = {key: request.args.get(key, "").strip() for key in ("q", *dict(FILTERS))}
    problems = _date_problems(form)
    if problems:
        html = render_template("search.html", title="Search", form=form, problems=problems)
        return html, 400
    if not form["q"]:
        return render_page("search.html", title="Search", form=form, results=None)
    number = page_number()
    results = get_archive().search(
        form["q"],
        section=_slug("section", form["section"]),
        author=_slug("author", form["author"]),
        first_day=form["from"] or None,
        last_day=form["to"] or None,
        limit=PAGE_SIZE + 1,
        offset=(number - 1) * PAGE_SIZE,
    )
    page = page_of(number, found=len(results.hits))
    return render_page(
        "search.html",
        title=f"Search: {form['q'][:80]}",
        form=form,
        results=results,
        hits=results.hits[:PAGE_SIZE],
        page=page,
        max_terms=MAX_TERMS,
        max_counted=MAX_COUNTED,
        query_text=form["q"],
    )


def _slug(kind: str, text: str) -> str | None:
    """The slug a section or author typed by name (or by slug) is known under."""
    if not text:
        return None
    return get_archive().names.slug_of(kind, text) or slugify(text)


def _date_problems(form: dict[str, str]) -> list[str]:
    problems = []
    for key in ("from", "to"):
        if form[key]:
            try:
                date.fromisoformat(form[key])
            except ValueError:
                problems.append(f"{key} {form[key][:40]!r} is not a date (YYYY-MM-DD expected)")
    if not problems and form["from"] and form["to"] and form["from"] > form["to"]:
        problems.append(f"from {form['from']} is after to {form['to']}")
    return problems
