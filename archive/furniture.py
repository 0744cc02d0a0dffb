"""Page furniture in copied or saved articles, in any language: consent banners and their
buttons, newsletter prompts, rows of share links, advert and "related" labels.

Rules, not phrases: a block is furniture by what it is made of (a cookie word with the site's
own voice or a button's verb, an email address asked of the reader, nothing but network names),
and only when short. A body paragraph that mentions cookies or a newsletter while reporting is
kept: it speaks of others, quotes people or gives figures.
"""

from __future__ import annotations

import regex

from archive.lexicon import (
    CONSENT_ACTIONS,
    COOKIE_WORDS,
    EMAIL_WORDS,
    NEWSLETTER_WORDS,
    PAGE_LABELS,
    READER_PROMPTS,
    SHARE_WORDS,
    SITE_VOICE,
    SOCIAL_NETWORKS,
    words_pattern,
)

# Longest block that may be page furniture; body paragraphs run longer.
MAX_FURNITURE = 300
# Longest button or label: a few words, no sentence.
MAX_LABEL = 40
MAX_LABEL_WORDS = 5
# Words besides network names a share row may have ("Share on", "Поделиться в").
MAX_SHARE_WORDS = 3

COOKIE = words_pattern(COOKIE_WORDS)
CONSENT = words_pattern(CONSENT_ACTIONS)
VOICE = words_pattern(SITE_VOICE)
NEWSLETTER = words_pattern(NEWSLETTER_WORDS)
EMAIL = words_pattern(EMAIL_WORDS)
PROMPT = words_pattern(READER_PROMPTS)
NETWORK = words_pattern(SOCIAL_NETWORKS)
SHARE = words_pattern(SHARE_WORDS)
LABEL = words_pattern(PAGE_LABELS)
WORD = regex.compile(r"[\p{L}\p{M}\p{N}'’-]+")
# What reporting has and furniture lacks: quotation marks, figures, a question put to someone.
REPORTING = regex.compile(r"[\"“”«»„「」『』]|\p{N}")
SENTENCE_STOP = regex.compile(r"[.!?。！？؟]\s*$")


def is_furniture(block: str) -> bool:
    """Whether a block of text is page furniture rather than part of the story."""
    if len(block) > MAX_FURNITURE:
        return False
    return (
        is_consent_banner(block)
        or is_newsletter_prompt(block)
        or is_share_row(block)
        or is_page_label(block)
    )


def is_consent_banner(block: str) -> bool:
    """A line about the site's cookies in its own voice, or a consent button's label."""
    if is_button_label(block):
        return bool(COOKIE.search(block) or CONSENT.search(block))
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
    """A newsletter or sign-up asking the reader for an email address."""
    if REPORTING.search(block):
        return False
    asks = bool(PROMPT.search(block))
    return asks and bool(EMAIL.search(block) or NEWSLETTER.search(block))


def is_share_row(block: str) -> bool:
    """Social network names and share words only: "Share: Facebook | X | Telegram"."""
    networks = len(NETWORK.findall(block))
    if networks < 2 and not (networks and SHARE.search(block)):
        return False
    rest = SHARE.sub(" ", NETWORK.sub(" ", block))
    return len(WORD.findall(rest)) <= MAX_SHARE_WORDS and not SENTENCE_STOP.search(block)


def is_page_label(block: str) -> bool:
    """A label standing alone: "Advertisement", "Read more", "Самое читаемое"."""
    return bool(LABEL.fullmatch(_bare(block)))


def _bare(block: str) -> str:
    return block.strip(" .:!?…»›>→|-—–·•").strip()
