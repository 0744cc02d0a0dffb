"""What the archive hands downstream: the static site, its search index, WARC files and BagIt
deposit bags, all read from the public site asked in process (`site_answers`).

May import the site, the feeds and the request pipeline; never the commands.
"""
