"""A story's language when the importer is not told it: what the page declares (`<html lang>`,
`og:locale`, `content-language`), else what its text is written in.

A guess from the text is kept only when it is confident and the text long enough to tell;
otherwise the story keeps the default language. Two detectors read the text: py3langid (a
naive Bayes model, about a tenth of a millisecond a story) first, and langdetect (random
trials, some milliseconds) only for what the first is unsure of, and for Chinese, whose script
only langdetect tells apart. Nothing here reads the network.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from functools import cache, lru_cache

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from archive.story.models import LANGUAGE_PATTERN

# Fewest letters a text needs before its language is guessed: a title alone can mislead.
MIN_LETTERS = 80
# Lowest probability kept: mixed or ambiguous text stays in the default language.
MIN_CONFIDENCE = 0.95
# Most characters read for a guess; the rest of a long story adds nothing.
MAX_SAMPLE = 3000
# langdetect's Chinese codes as BCP 47 script subtags.
CHINESE = {"zh-cn": "zh-Hans", "zh-tw": "zh-Hant"}
# py3langid's answers left to langdetect: Chinese (no script) and "no language" (zxx).
UNSURE = {"zh", "zxx"}
# Share of a text's letters one script must hold for py3langid's guess to stand: in text that
# mixes scripts it names the language of one part as if it were the whole, confidently.
MIN_SCRIPT_SHARE = 0.9
# Scripts written together in one language: Japanese mixes kanji and both kana.
SCRIPT_GROUPS = {"HIRAGANA": "CJK", "KATAKANA": "CJK"}
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
    letters = {char: count for char, count in Counter(sample).items() if char.isalpha()}
    if sum(letters.values()) < MIN_LETTERS:
        return None
    if _in_one_script(letters):
        guess, confidence = _identifier().classify(sample)
        if confidence >= MIN_CONFIDENCE and guess not in UNSURE:
            return guess
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


@cache
def _identifier() -> LanguageIdentifier:
    """py3langid's model, loaded once (under a second), with probabilities that sum to one."""
    return LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)


def _in_one_script(letters: dict[str, int]) -> bool:
    """Whether one script holds MIN_SCRIPT_SHARE of the letters (each with its count)."""
    scripts: Counter[str] = Counter()
    for letter, count in letters.items():
        scripts[script_of(letter)] += count
    return max(scripts.values()) >= MIN_SCRIPT_SHARE * scripts.total()


@lru_cache(maxsize=4096)  # letters: the scripts of a few languages fit; any text cannot grow it
def script_of(letter: str) -> str:
    """A letter's script as the first word of its Unicode name: LATIN, CYRILLIC, CJK ..."""
    script = unicodedata.name(letter, "").partition(" ")[0]
    return SCRIPT_GROUPS.get(script, script)
