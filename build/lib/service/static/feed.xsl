<?xml version="1.0" encoding="UTF-8"?>
<!--
  A web feed shown as a page to people who open it in a browser: the feed's title, how to
  subscribe, and its entries. Feed readers ignore it. Atom and RSS alike; no inline style or
  script, so it works under the site's Content-Security-Policy.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    exclude-result-prefixes="atom dc">
  <xsl:output method="html" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>

  <xsl:variable name="self" select="/atom:feed/atom:link[@rel='self']/@href | /rss/channel/atom:link[@rel='self']/@href"/>
  <xsl:variable name="home" select="/atom:feed/atom:link[@rel='alternate']/@href | /rss/channel/link"/>

  <xsl:template match="/">
    <html>
      <xsl:attribute name="lang">
        <xsl:value-of select="/atom:feed/@xml:lang | /rss/channel/language"/>
      </xsl:attribute>
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <meta name="robots" content="noindex"/>
        <title><xsl:value-of select="/atom:feed/atom:title | /rss/channel/title"/> (web feed)</title>
        <link rel="stylesheet" href="/static/style.css"/>
      </head>
      <body>
        <header class="masthead">
          <p class="site-title"><a href="{$home}"><xsl:value-of select="/atom:feed/atom:title | /rss/channel/title"/></a></p>
          <nav aria-label="Site">
            <ul>
              <li><a href="{$home}">Pages</a></li>
              <li><a href="/feeds/">All feeds</a></li>
            </ul>
          </nav>
        </header>
        <main id="main">
          <h1><xsl:value-of select="/atom:feed/atom:title | /rss/channel/title"/></h1>
          <p class="dek"><xsl:value-of select="/atom:feed/atom:subtitle | /rss/channel/description"/></p>
          <section class="notice subscribe" aria-labelledby="subscribe">
            <h2 id="subscribe">This is a web feed</h2>
            <p>Subscribe by copying this address into your feed reader:</p>
            <p><label for="feed-address">Feed address</label>
              <input id="feed-address" type="url" readonly="readonly" size="50" value="{$self}"/></p>
            <p>Every feed of the site is listed on <a href="/feeds/">the feeds page</a>, and
              <a href="/feeds.opml">as OPML</a> to import them all into a reader at once.</p>
          </section>
          <h2>Latest stories</h2>
          <xsl:apply-templates select="/atom:feed/atom:entry | /rss/channel/item"/>
        </main>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="atom:entry">
    <article class="story-item">
      <h3><a href="{atom:link[not(@rel) or @rel='alternate']/@href}"><xsl:value-of select="atom:title"/></a></h3>
      <p class="meta"><time datetime="{atom:published}"><xsl:value-of select="substring(atom:published, 1, 10)"/></time>
        <xsl:for-each select="atom:author/atom:name"> · <xsl:value-of select="."/></xsl:for-each></p>
      <p><xsl:value-of select="atom:summary"/></p>
    </article>
  </xsl:template>

  <!-- RSS readers take title and description as HTML, so the feed escapes plain text once
       more; written out unescaped once, it shows as the text it is. -->
  <xsl:template match="item">
    <article class="story-item">
      <h3><a href="{link}"><xsl:value-of select="title" disable-output-escaping="yes"/></a></h3>
      <p class="meta"><xsl:value-of select="pubDate"/>
        <xsl:for-each select="dc:creator"> · <xsl:value-of select="."/></xsl:for-each></p>
      <p><xsl:value-of select="description" disable-output-escaping="yes"/></p>
    </article>
  </xsl:template>
</xsl:stylesheet>
