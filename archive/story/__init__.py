"""What a story is, and every rule about one: the model and its field table (the gate), the JSON
shape, visibility, HTML cleaning, slugs and names, the calendar, rights and attribution.

Imports only the standard library, its parsers (nh3, regex) and `archive.errors` and
`archive.lexicon`: never the database (`archive.db`) or the readers (`archive.ingest`).
"""
