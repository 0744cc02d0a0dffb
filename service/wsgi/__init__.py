"""The request pipeline in front of Flask: the client's address, the rate limit, the access
log, request bodies, the feed server and page cache that answer from stored bytes, HTTP caching
headers, tokens and RFC 9457 problems (the shape of every refusal).

`pipeline.build(app, settings)` puts every stage in front of the Flask app, once, in one order;
`create_app` calls it, so the test client, the exports, `masthead serve --dev` and the
production server (service/commands/server.py) all answer through the same stages:

1. request environ (request_environ.py): the server process's environment taken out again
   (Granian copies it into every request), an unreadable Host replaced by the site's (http.py);
2. client address (proxies.py): REMOTE_ADDR is the client behind trusted proxies, for all below;
3. access log (accesslog.py): one line per request, refusals included; written to standard
   output by the production server only (the test client, exports and Werkzeug's --dev log
   nothing here);
4. rate limit (ratelimit.py): the one place a request is counted against its client; 429;
5. body guard (bodies.py): request bodies read under a size limit and a deadline;
6. feed server (feed_server.py): /feeds/<key> answered from stored bytes, 304 or 200;
7. page cache (page_cache.py): pages answered from kept answers while nothing changed;
8. Flask: everything else, and every miss.

May import `archive`, `service.settings` and `service.archive_access`; never the site, the API,
the feeds' builders, exports or commands, which sit above it.
"""
