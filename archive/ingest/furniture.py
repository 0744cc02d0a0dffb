"""Page furniture in copied or saved articles, in any language: consent banners and their rows of
buttons, newsletter prompts that ask for an email address, rows of share links, advert and
"related" labels.

Rules, not phrases: a block is furniture by what it is made of, and only when short.

- a row of controls: labels of a few words apart from separators ("Accept all | Reject |
  Settings", "Facebook · X · Telegram"), or one label made of button words ("Sign up"), with no
  sentence, figure or quotation;
- a consent banner: the site's cookies in its own voice ("This website uses cookies");
- a newsletter prompt: an email address asked of the reader ("Enter your email", an input's
  "name@example.com"), addressed to them or opening with the sign-up verb;
- a share row: network names and share words only;
- a label standing alone ("Advertisement", "Read more").

A body paragraph that mentions cookies, a newsletter or Facebook while reporting is kept: it
reports what someone said, quotes people, gives figures or speaks of others, not to the reader.
A furniture line glued to a paragraph (no blank line between) goes too, when it stands as a line
of its own rather than inside a sentence wrapped across lines.
"""

from __future__ import annotations

from functools import lru_cache

import regex

from archive.lexicon import (
    CONSENT_ACTIONS,
    COOKIE_WORDS,
    EMAIL_WORDS,
    NEWSLETTER_WORDS,
    PAGE_LABELS,
    READER_ADDRESSED,
    READER_PROMPTS,
    REPORTED_SPEECH,
    SHARE_WORDS,
    SIGN_UP_BUTTONS,
    SITE_VOICE,
    SOCIAL_NETWORKS,
    words_pattern,
)

# Longest block that may be page furniture; body paragraphs run longer.
MAX_FURNITURE = 300
# Longest button or label: a few words, no sentence.
MAX_LABEL = 40
MAX_LABEL_WORDS = 5
# A row of controls: at most this many words in all, and per label between separators.
MAX_ROW_WORDS = 14
MAX_SEGMENT_WORDS = 4
# Words besides network names a share row may have ("Share on", "Поделиться в").
MAX_SHARE_WORDS = 3

COOKIE = words_pattern(COOKIE_WORDS)
CONSENT = words_pattern(CONSENT_ACTIONS)
VOICE = words_pattern(SITE_VOICE)
NEWSLETTER = words_pattern(NEWSLETTER_WORDS)
EMAIL = words_pattern(EMAIL_WORDS)
PROMPT = words_pattern(READER_PROMPTS | SIGN_UP_BUTTONS)
ADDRESSED = words_pattern(READER_ADDRESSED)
REPORTED = words_pattern(REPORTED_SPEECH)
NETWORK = words_pattern(SOCIAL_NETWORKS)
SHARE = words_pattern(SHARE_WORDS)
LABEL = words_pattern(PAGE_LABELS)
# Every word a control may be labelled with: buttons of consent, sign-up and sharing.
CONTROL = words_pattern(
    CONSENT_ACTIONS
    | SIGN_UP_BUTTONS
    | SHARE_WORDS
    | SOCIAL_NETWORKS
    | COOKIE_WORDS
    | EMAIL_WORDS
    | NEWSLETTER_WORDS
    | set(PAGE_LABELS)
)
# The words of buttons that are no network's name.
BUTTON = words_pattern(CONSENT_ACTIONS | SIGN_UP_BUTTONS | SHARE_WORDS)
WORD = regex.compile(r"[\p{L}\p{M}\p{N}'’-]+")
# What reporting has and furniture lacks: quotation marks, figures.
REPORTING = regex.compile(r"[\"“”«»„「」『』]|\p{N}")
SENTENCE_STOP = regex.compile(r"[.!?。！？؟]\s*$")
SENTENCE_INSIDE = regex.compile(r"[.!?。！？؟]\s+\S")
# What stands between the labels of a row: bars, dots, bullets, slashes, dashes, wide gaps.
SEPARATOR = regex.compile(r"\s*[|¦·•∙⋅/／｜–—]\s*|\s{2,}|\t")
# An input's placeholder: an example address ("name@example.com", "you@domain").
ADDRESS = regex.compile(r"[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*")
# Where a sentence or a label begins: the block's start, after a stop, colon or separator.
OPENING = regex.compile(r"(?:^|[.!?。！？؟:：|·•–—]\s*)$")


@lru_cache(maxsize=1024)
def is_furniture(block: str) -> bool:
    """Whether a block of text is page furniture rather than part of the story (remembered for
    the last blocks asked about: a paragraph's lines are asked about, then the paragraph)."""
    if len(block) > MAX_FURNITURE:
        return False
    # Each rule tries its cheap tests first, so a paragraph of prose is told apart in
    # microseconds; the word lists are searched only in blocks that might be furniture.
    return (
        is_control_row(block)
        or is_consent_banner(block)
        or is_newsletter_prompt(block)
        or is_share_row(block)
        or is_page_label(block)
    ) and not REPORTED.search(block)


def is_control_row(block: str) -> bool:
    """Labels of buttons and links, and nothing else: "Accept all | Reject | Settings",
    "Alle akzeptieren · Ablehnen", "ВК | ОК | Телеграм", "Jetzt anmelden", "Accept cookies"."""
    if REPORTING.search(block) or SENTENCE_INSIDE.search(block):
        return False
    if SENTENCE_STOP.search(block.rstrip("!")):
        return False
    words = WORD.findall(block)
    if not 0 < len(words) <= MAX_ROW_WORDS or not CONTROL.search(block):
        return False
    segments = [s for s in SEPARATOR.split(block.strip(" :：")) if s and WORD.search(s)]
    if len(segments) >= 2:
        short = all(len(WORD.findall(s)) <= MAX_SEGMENT_WORDS for s in segments)
        return short and 2 * sum(map(_is_label, segments)) >= len(segments)
    return len(words) <= MAX_LABEL_WORDS and len(block) <= MAX_LABEL and _is_label(block)


def _is_label(text: str) -> bool:
    """Control words only, or one other word beside a button's verb ("Jetzt anmelden"): a
    network's name beside another word is a name ("Malcolm X"), not a button."""
    others = WORD.findall(CONTROL.sub(" ", text))
    if not others:
        return True
    return len(others) == 1 and bool(BUTTON.search(text))


def is_consent_banner(block: str) -> bool:
    """A line about the site's cookies in its own voice, or a consent button's label."""
    if is_button_label(block):
        return bool(CONSENT.search(block)) or (bool(COOKIE.search(block)) and _is_label(block))
    if REPORTING.search(block) or not COOKIE.search(block):
        return False
    return bool(VOICE.search(block) or CONSENT.search(block))


def is_button_label(block: str) -> bool:
    """A few words and no sentence: "Accept", "Принять cookie", "クッキーを受け入れる"."""
    words = WORD.findall(block)
    return (
        0 < len(words) <= MAX_LABEL_WORDS
        and len(block) <= MAX_LABEL
        and not SENTENCE_STOP.search(block.rstrip("!"))
        and not REPORTING.search(block)
    )


def is_newsletter_prompt(block: str) -> bool:
    """An email address asked of the reader: an input's example address, or an email or
    newsletter word in a block that speaks to the reader or opens with a sign-up verb."""
    if REPORTING.search(block.replace("@", "")):
        return False
    if ADDRESS.search(block):
        return len(WORD.findall(ADDRESS.sub(" ", block))) <= MAX_LABEL_WORDS * 2
    if not (EMAIL.search(block) or NEWSLETTER.search(block)):
        return False
    return bool(ADDRESSED.search(block)) or _opens_with_prompt(block)


def _opens_with_prompt(block: str) -> bool:
    """A sign-up verb where a sentence or label begins: "Subscribe to...", "Recevez notre..."."""
    return any(OPENING.search(block[: found.start()]) for found in PROMPT.finditer(block))


def is_share_row(block: str) -> bool:
    """Social network names and share words only: "Share: Facebook | X | Telegram"."""
    if SENTENCE_STOP.search(block):
        return False
    networks = len(NETWORK.findall(block))
    if networks < 2 and not (networks and SHARE.search(block)):
        return False
    rest = SHARE.sub(" ", NETWORK.sub(" ", block))
    return len(WORD.findall(rest)) <= MAX_SHARE_WORDS


def is_page_label(block: str) -> bool:
    """A label standing alone: "Advertisement", "Read more", "Самое читаемое"."""
    return bool(LABEL.fullmatch(_bare(block)))


def _bare(block: str) -> str:
    return block.strip(" .:!?…»›>→|-—–·•").strip()


# Where a line of prose ends a sentence, so that the next line may stand on its own.
LINE_ENDS = regex.compile(r"[.!?。！？؟:：\"”»」』)]\s*$")
LOWER_START = regex.compile(r"\p{Ll}")


def without_furniture_lines(text: str) -> str:
    """The text without furniture that stands on lines of its own inside a paragraph block
    ("...Easter.\\nShare this article: Facebook Twitter"), each replaced by a paragraph break.

    A line inside a sentence wrapped across lines stays: it follows a line that does not end a
    sentence, or the line after it goes on in lower case.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    dropped = [False] * len(lines)
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or not is_furniture(stripped):
            continue
        before = lines[index - 1].strip() if index else ""
        after = lines[index + 1].strip() if index + 1 < len(lines) else ""
        starts = not before or dropped[index - 1] or bool(LINE_ENDS.search(before))
        ends = not after or not LOWER_START.match(after)
        dropped[index] = starts and ends
    return "\n".join("" if gone else line for line, gone in zip(lines, dropped, strict=True))
