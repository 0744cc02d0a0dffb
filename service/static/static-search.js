// Search for a site exported by `masthead export-site`: the pages' search form leads to
// /search/, which runs the query in the browser against the Pagefind index of every story page
// (/pagefind/, one index per language, all searched). The live service answers /search itself.
const query = (new URLSearchParams(location.search).get("q") || "").trim();
const status = document.getElementById("static-search-status");
const list = document.getElementById("static-search-results");
for (const box of document.querySelectorAll("#q, #site-search-q")) box.value = query;

function shown(story) {
  const item = document.createElement("li");
  item.className = "hit";
  const heading = document.createElement("h2");
  const link = document.createElement("a");
  link.href = story.url;
  link.textContent = story.meta.title || story.url;
  heading.append(link);
  const snippet = document.createElement("p");
  snippet.className = "snippet";
  // The excerpt is HTML with <mark>s: read as text in an inert template, never run.
  const excerpt = document.createElement("template");
  excerpt.innerHTML = story.excerpt;
  snippet.textContent = excerpt.content.textContent;
  item.append(heading, snippet);
  return item;
}

async function run() {
  if (!query) return;
  status.textContent = "Searching…";
  const answer = await fetch("/pagefind/pagefind-entry.json");
  if (answer.status === 404) {
    status.textContent = "0 stories match."; // a site exported before any story was published
    return;
  }
  const entry = await answer.json();
  const pagefind = await import("/pagefind/pagefind.js");
  const languages = Object.entries(entry.languages).sort((a, b) => b[1].page_count - a[1].page_count);
  const primary = document.documentElement.lang;
  const loaded = entry.languages[primary] ? primary : languages[0][0];
  await pagefind.options({ basePath: "/pagefind/" });
  await pagefind.init();
  for (const [language] of languages) {
    // The same bundle by its full address: Pagefind merges no index under the primary's path.
    if (language !== loaded) await pagefind.mergeIndex(`${location.origin}/pagefind/`, { language });
  }
  const found = await pagefind.search(query);
  const stories = await Promise.all(found.results.slice(0, 50).map((result) => result.data()));
  const count = found.results.length;
  status.textContent = count === 1 ? "1 story matches." : `${count} stories match.`;
  list.replaceChildren(...stories.map(shown));
}

run().catch((error) => {
  status.textContent = `The search could not run: ${error.message}`;
});
