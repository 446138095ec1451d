// The search page: runs the Pagefind bundle on ?q= and lists the results, an exact title match first.
(() => {
  const root = document.getElementById("search"),
    form = root.querySelector("form"),
    input = form.elements.q,
    status = root.querySelector(".search-status"),
    list = root.querySelector(".search-results"),
    bundle = new URL(root.dataset.bundle, location.href),
    LIMIT = 20;
  let pf, // the Pagefind module, imported on the first search
    latest = 0;

  const el = (tag, text, props) => Object.assign(document.createElement(tag), { textContent: text || "" }, props);

  // Pagefind's excerpts are HTML with only <mark>: rebuild them as nodes so that no other markup gets through.
  const excerpt = (html) => {
    const p = el("p");
    for (const node of new DOMParser().parseFromString(html, "text/html").body.childNodes) {
      p.append(node.nodeName === "MARK" ? el("mark", node.textContent) : node.textContent);
    }
    return p;
  };

  const item = (data) => {
    const li = el("li");
    li.appendChild(el("h2")).append(el("a", data.meta.title || data.url, { href: data.url }));
    // The section with the most hits; one without an anchor is the text before the first heading.
    const best = data.sub_results.sort((a, b) => b.locations.length - a.locations.length)[0];
    li.append(excerpt((best || data).excerpt));
    if (best?.anchor) {
      const section = el("p", "Section: ", { className: "search-section" });
      section.append(el("a", best.title, { href: best.url }));
      li.append(section);
    }
    return li;
  };

  const run = async (query) => {
    const mine = ++latest;
    list.replaceChildren();
    status.textContent = query ? "Searching…" : "";
    if (!query) return;
    try {
      pf = pf || (await import(new URL("pagefind.js", bundle)));
      const found = (await pf.search(query)).results,
        pages = await Promise.all(found.slice(0, LIMIT).map((r) => r.data())),
        key = query.toLowerCase(),
        n = found.length;
      if (mine !== latest) return;
      // Stable sort: an exact title match moves first, the rest keep Pagefind's order.
      const exact = (page) => page.meta.title?.toLowerCase() === key;
      pages.sort((a, b) => exact(b) - exact(a));
      list.append(...pages.map(item));
      // No template literal inside another: the theme's minifier drops the space in nested ones.
      status.textContent = (n || "No") + " result" + (n == 1 ? "" : "s") + " for “" + query + "”" + (n > LIMIT ? ", showing " + LIMIT : "");
    } catch {
      if (mine === latest) status.textContent = "Search is unavailable.";
    }
  };

  const start = () => {
    const query = (new URLSearchParams(location.search).get("q") || "").trim();
    input.value = query;
    run(query);
    return query;
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = input.value.trim();
    history.pushState(null, "", query ? `?q=${encodeURIComponent(query)}` : location.pathname);
    run(query);
  });
  addEventListener("popstate", start);
  if (!start()) input.focus();
})();
