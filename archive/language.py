"""A story's language when the importer is not told it: what the page declares (`<html lang>`,
`og:locale`, `content-language`), else what its text is written in (langdetect).

A guess from the text is kept only when it is confident and the text long enough to tell;
otherwise the story keeps the default language. Nothing here reads the network.
"""

from __future__ import annotations

from functools import cache

import regex
from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

from archive.models import LANGUAGE_PATTERN

# Fewest letters a text needs before its language is guessed: a title alone can mislead.
MIN_LETTERS = 80
# Lowest probability kept: mixed or ambiguous text stays in the default language.
MIN_CONFIDENCE = 0.95
# Most characters read for a guess; the rest of a long story adds nothing.
MAX_SAMPLE = 3000
# langdetect's Chinese codes as BCP 47 script subtags.
CHINESE = {"zh-cn": "zh-Hans", "zh-tw": "zh-Hant"}
LETTER = regex.compile(r"\p{L}")
# Where a saved page states its language, most specific first.
PAGE_DECLARATIONS = (
    "/html/@lang",
    "/html/@xml:lang",
    "//meta[@property='og:locale']/@content",
    "//meta[translate(@http-equiv, 'CONTENT-LANGUAGE', 'content-language')"
    "='content-language']/@content",
)


def declared_language(page) -> str | None:
    """The language a parsed HTML page declares, as a BCP 47 tag ("ru", "pt-BR"), else None."""
    for path in PAGE_DECLARATIONS:
        for value in page.xpath(path):
            tag = value.split(",")[0].strip().replace("_", "-")
            if tag and LANGUAGE_PATTERN.fullmatch(tag) and tag.lower() not in {"und", "mul"}:
                return tag
    return None


def detected_language(text: str) -> str | None:
    """The language `text` is written in when the guess is confident, else None."""
    sample = text[:MAX_SAMPLE]
    if len(LETTER.findall(sample)) < MIN_LETTERS:
        return None
    detector = _factory().create()
    detector.append(sample)
    try:
        best = max(detector.get_probabilities(), key=lambda guess: guess.prob, default=None)
    except LangDetectException:
        return None  # no features to read (digits and symbols only)
    if best is None or best.prob < MIN_CONFIDENCE:
        return None
    return CHINESE.get(best.lang, best.lang)


@cache
def _factory() -> DetectorFactory:
    """langdetect's profiles, loaded once; a fixed seed makes each guess repeatable."""
    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.set_seed(0)
    return factory
