"""Pages in Debian's Chromium through Playwright (marker `browser`): accessibility, direction,
diffs, exports.
"""
