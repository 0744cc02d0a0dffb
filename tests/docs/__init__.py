"""The README kept honest: every setting and command named, its tour run as written."""
