/* Folio chat panel: asks POST /chat about this article and streams the answer (SSE read through fetch).
   Model output is untrusted: it becomes DOM nodes through createElement and text nodes only, never HTML.
   The panel lives at the end of the article; a control (and Alt+Shift+Q) docks that same element beside
   the article or as a bottom sheet, and "Ask about this passage" docks it with the selected text quoted. */
(() => {
  "use strict";
  const root = document.querySelector("aside.chat[data-chat-endpoint]");
  if (!root || !window.fetch || !window.AbortController) return;

  const SLUG = root.dataset.article;
  const KEY = "folio-chat:v1:" + SLUG;
  // Inside the service's limits (issue 3): messages per request, characters per message, body bytes.
  const MAX_MESSAGES = 12, MAX_CHARS = 4000, MAX_BODY = 30000, MAX_QUOTE = 1000;
  const OFFLINE = "Passages from the article (no AI)";
  // Alt+Shift+letter: no browser, screen reader or typing binding, and no single-key shortcut (WCAG 2.1.4).
  const SHORTCUT = /Mac|iP(hone|ad|od)/.test(navigator.platform) ? "Option+Shift+Q" : "Alt+Shift+Q";
  const INLINE = /`([^`\n]+)`|\*\*(.+?)\*\*|\*(\S(?:.*?\S)?)\*|\[([^\]\n]+)\]\(([^)\s]+)\)|\[([^\]\n]+)\]/g;
  const prose = document.getElementById("article-body");
  const article = root.closest("article") || root.parentElement;
  const wide = matchMedia("(min-width: 60rem)"); // the panel goes beside the article, else it is a bottom sheet
  const views = new Map(); // message -> its element
  const headings = headingIds();
  let messages = load(), ctrl = null, raf = 0;
  let quote = ""; // the passage the next question is about
  let place = null; // while the panel is docked: where the reader was, and what was made inert
  let inlineSeen = false, picked = null, pending = 0; // picked: the selection the passage button stands for

  function el(tag, props, ...kids) {
    const n = document.createElement(tag);
    if (typeof props == "string") props = { className: props };
    for (const [k, v] of Object.entries(props || {})) {
      if (k in n) n[k] = v;
      else n.setAttribute(k, v);
    }
    n.append(...kids.filter((c) => c != null));
    return n;
  }
  const button = (text, onclick, className = "") => el("button", { type: "button", onclick, className }, text);

  const log = el("div", { className: "chat-log", role: "region", "aria-label": "Conversation", tabIndex: 0 });
  const starters = el("div", { className: "chat-starters", role: "group", "aria-label": "Suggested questions" });
  const input = el("textarea", {
    id: "chat-question", rows: 2, maxLength: MAX_CHARS,
    placeholder: "Ask a question about this article", "aria-describedby": "chat-hint",
  });
  const send = el("button", "chat-send", "Send");
  const stop = button("Stop", () => { stopAnswer(); input.focus(); }, "chat-stop");
  const copy = button("Copy answer", copyAnswer);
  const clear = button("Clear conversation", clearConversation);
  const live = el("div", { className: "visually-hidden", "aria-live": "polite" });
  const quoteText = el("blockquote", "chat-quote-text");
  const quoteBox = el("div", { className: "chat-quote", id: "chat-quote", hidden: true },
    el("p", "chat-quote-label", "About this passage"), quoteText,
    button("Remove passage", () => { setQuote(""); input.focus(); }, "chat-quote-remove"));
  const form = el("form", "chat-form", quoteBox,
    el("label", { htmlFor: "chat-question" }, "Your question"), input,
    el("div", "chat-actions", send, stop, copy, clear),
    el("p", { id: "chat-hint", className: "chat-hint" }, "Enter sends, Shift+Enter adds a line, Esc stops or closes.",
      el("span", "chat-hint-key", ` ${SHORTCUT} opens this panel from anywhere.`)));
  const closer = button("Close", () => close(), "chat-close");
  const launch = el("button", {
    type: "button", className: "chat-launch", onclick: () => open(),
    "aria-controls": "ask", "aria-expanded": "false", "aria-keyshortcuts": "Alt+Shift+Q",
  }, el("span", null, "Ask about this article"), el("kbd", { "aria-hidden": "true" }, SHORTCUT));
  const dock = el("div", "chat-dock", launch);
  const scrim = el("div", { className: "chat-scrim", hidden: true, onclick: () => close() });
  const passage = button("Ask about this passage", () => open(picked), "chat-passage");
  passage.hidden = closer.hidden = true;
  passage.onmousedown = (e) => e.preventDefault(); // pressing it keeps the selection and the focus where they are
  root.querySelector("h2")?.after(closer);
  root.append(log, starters, form, live);
  article.insertBefore(dock, root.parentElement == article ? root : null);
  document.body.append(scrim, passage);
  article.classList.add("has-chat-dock");
  root.classList.add("chat-ready");
  for (const q of starterQuestions()) starters.append(button(q, () => { input.focus(); ask(q); }));
  for (const m of messages) log.append(turnView(m));
  refresh();

  form.onsubmit = (e) => {
    e.preventDefault();
    const q = input.value.trim();
    if (!q || ctrl) return;
    input.value = "";
    ask(q);
  };
  input.onkeydown = (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
  };
  root.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    if (ctrl) { stopAnswer(); input.focus(); } else close();
  });
  root.addEventListener("click", (e) => {
    const a = e.target.closest("a[href^='#']");
    const t = a && document.getElementById(fragment(a.hash));
    if (!t) return;
    e.preventDefault();
    if (place && !wide.matches) close(false); // the sheet would cover the section
    history.pushState(null, "", a.hash);
    flash(t);
  });
  addEventListener("pagehide", save);
  // The link under the title opens the panel where the reader is (without JavaScript it jumps to #ask).
  document.addEventListener("click", (e) => {
    const a = e.target.closest?.("a[href='#ask']");
    if (!a || root.contains(a) || e.button || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    open();
  });
  addEventListener("keydown", (e) => {
    if (e.key == "Escape") passage.hidden = true;
    if (e.code != "KeyQ" || !e.altKey || !e.shiftKey || e.ctrlKey || e.metaKey || e.repeat) return;
    const t = e.target;
    if (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) return; // typing: not for us
    e.preventDefault();
    open(selectedPassage());
  });
  document.addEventListener("selectionchange", () => {
    clearTimeout(pending);
    pending = setTimeout(showPassage, 250);
  });
  addEventListener("resize", () => { passage.hidden = true; placeDock(); });
  wide.addEventListener?.("change", () => place && dockAs(wide.matches));
  if (window.IntersectionObserver) {
    new IntersectionObserver((entries) => { inlineSeen = entries.at(-1).isIntersecting; showDock(); }).observe(root);
  }
  placeDock();

  function headingText(h) {
    const c = h.cloneNode(true);
    c.querySelectorAll(".anchor").forEach((n) => n.remove());
    return c.textContent.trim();
  }
  /** Three questions from the article's h2 headings. */
  function starterQuestions() {
    const heads = [...document.querySelectorAll("#article-body h2")].map(headingText)
      .filter((h) => h && !/^(references|notes|see also)$/i.test(h));
    const lower = (h) => (/^.[a-z]/.test(h) ? h[0].toLowerCase() + h.slice(1) : h);
    return [(h) => `What does the article say about ${lower(h)}?`,
      (h) => `Can you summarize the section “${h}”?`,
      (h) => `What are the key points of “${h}”?`].slice(0, heads.length).map((f, i) => f(heads[i]));
  }

  /* ---- conversation state ---- */
  function load() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(KEY)) || [];
      return saved.filter((m) => /^(user|assistant)$/.test(m.role) && typeof m.content == "string")
        .map((m) => ({ ...m, quote: typeof m.quote == "string" ? clip(m.quote) : undefined }))
        .map((m) => (m.status == "streaming" ? { ...m, status: "stopped" } : m));
    } catch { return []; }
  }
  function save() {
    try {
      if (messages.length) sessionStorage.setItem(KEY, JSON.stringify(messages));
      else sessionStorage.removeItem(KEY);
    } catch { /* storage full or off: the conversation lasts as long as the page */ }
  }
  /** The conversation to send: non-empty turns, each cut, the last few, starting with the reader, small enough.
      The question's passage goes in the request's `quote` (its size counted here); earlier questions carry
      theirs as a quote. */
  function outgoing(quoted = "") {
    const said = (m) => (m.quote && m != messages.at(-1) ? "> " + m.quote + "\n\n" : "") + m.content;
    let out = messages.filter((m) => m.content.trim())
      .map((m) => ({ role: m.role, content: said(m).slice(0, MAX_CHARS) })).slice(-MAX_MESSAGES);
    const size = () => new Blob([JSON.stringify(out), quoted]).size;
    while (out.length > 1 && (out[0].role != "user" || size() > MAX_BODY)) out = out.slice(1);
    return out;
  }
  function refresh() {
    stop.hidden = !ctrl;
    send.hidden = !!ctrl;
    log.setAttribute("aria-busy", !!ctrl);
    log.hidden = !messages.length;
    starters.hidden = !!messages.length;
    copy.hidden = !messages.some((m) => m.role == "assistant" && m.content);
    clear.hidden = !messages.length;
  }
  function announce(text) {
    live.textContent = "";
    setTimeout(() => { live.textContent = text; }, 50);
  }

  /* ---- asking and streaming ---- */
  async function ask(question) {
    if (ctrl) return;
    if (question != null) {
      const prev = messages.at(-1);
      messages.push(quote ? { role: "user", content: question, quote } : { role: "user", content: question });
      setQuote("");
      if (prev) paint(prev); // its Retry button goes
      log.append(turnView(messages.at(-1)));
    }
    const passageText = messages.at(-1).quote;
    const request = { article: SLUG, messages: outgoing(passageText) };
    if (passageText) request.quote = passageText;
    const body = JSON.stringify(request);
    const msg = { role: "assistant", content: "", status: "streaming" };
    messages.push(msg);
    log.append(turnView(msg));
    const mine = (ctrl = new AbortController());
    refresh();
    log.scrollTop = log.scrollHeight;
    try {
      const res = await fetch(root.dataset.chatEndpoint, {
        method: "POST", body, signal: mine.signal, headers: { "Content-Type": "application/json" },
      });
      if (!res.ok) return fail(msg, await httpError(res));
      await readStream(res.body.getReader(), msg);
    } catch (e) {
      if (e.name != "AbortError") fail(msg, "The assistant can't be reached right now. The article above is complete without it.");
    } finally {
      if (ctrl == mine) ctrl = null;
      refresh();
      save();
    }
  }
  async function readStream(reader, msg) {
    const dec = new TextDecoder();
    let ended = false;
    const feed = sseParser((type, data) => { ended = onEvent(msg, type, data) || ended; });
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      feed(dec.decode(value, { stream: true }));
      if (ended) return reader.cancel().catch(() => {});
    }
    feed(dec.decode()); // an event cut off by the end of the stream is dropped, as EventSource does
    if (!ended) fail(msg, "The connection closed before the answer was complete.");
  }
  /** A function taking decoded chunks and calling onEvent(type, data) per complete event (data: JSON or null). */
  function sseParser(onEvent) {
    let buf = "", type = "", data = [];
    return (chunk) => {
      buf += chunk;
      let m;
      while ((m = /\r\n|\r|\n/.exec(buf))) {
        if (m[0] == "\r" && m.index == buf.length - 1) break; // maybe the first half of \r\n
        const line = buf.slice(0, m.index);
        buf = buf.slice(m.index + m[0].length);
        const i = line.indexOf(":");
        const field = i < 0 ? line : line.slice(0, i);
        const value = i < 0 ? "" : line.slice(i + (line[i + 1] == " " ? 2 : 1));
        if (field == "event") type = value;
        else if (field == "data") data.push(value);
        else if (!line && data.length) {
          let parsed = null;
          try { parsed = JSON.parse(data.join("\n")); } catch { /* reported as unreadable */ }
          onEvent(type, parsed);
        }
        if (!line) type = "", data = [];
      }
    };
  }
  /** Applies one event to the answer; true when the stream is over. */
  function onEvent(msg, type, data) {
    if (msg.status != "streaming") return true;
    if (!/^(meta|token|done|error)$/.test(type)) return false;
    if (!(data instanceof Object)) return fail(msg, "The service sent an answer this page cannot read.");
    if (type == "meta") {
      msg.sources = data.sources;
      msg.elsewhere = data.elsewhere;
      msg.backend = data.backend;
      paint(msg);
    } else if (type == "token") {
      msg.content += data.delta || "";
      raf = raf || requestAnimationFrame(() => { raf = 0; paintAnswer(msg); });
    } else if (type == "done") {
      msg.status = "done";
      paint(msg);
      announce(`${msg.backend == "offline" ? OFFLINE : "Answer"}: ${views.get(msg).children[1].innerText}`);
      return true;
    } else return fail(msg, data.message || "The answer could not be completed.");
  }
  function fail(msg, text) {
    if (msg.status == "streaming") {
      msg.status = "error";
      msg.error = text;
      paint(msg);
      announce(text);
    }
    return true;
  }
  async function httpError(res) {
    let err = {};
    try { err = (await res.json()).error || {}; } catch { /* not JSON: the status says enough */ }
    if (res.status == 429) {
      const s = Math.ceil(res.headers.get("Retry-After") || err.retry_after);
      // No template literal inside another: the theme's minifier (rjsmin) eats spaces in nested ones.
      const wait = s > 0 ? "in " + s + (s > 1 ? " seconds" : " second") : "soon";
      return `Too many questions right now. Please try again ${wait}.`;
    }
    return err.message || `The assistant could not answer (error ${res.status}).`;
  }
  function stopAnswer() {
    if (!ctrl) return;
    ctrl.abort();
    ctrl = null;
    const msg = messages.at(-1);
    if (msg.status == "streaming") {
      msg.status = "stopped";
      paint(msg);
      announce("Stopped.");
    }
    refresh();
    save();
  }
  function retry() {
    const last = messages.pop();
    views.get(last).remove();
    input.focus();
    ask(null);
  }
  async function copyAnswer() {
    const last = messages.filter((m) => m.role == "assistant" && m.content).pop();
    try {
      await navigator.clipboard.writeText(last.content);
      copy.textContent = "Copied";
    } catch {
      copy.textContent = "Copy failed";
    }
    setTimeout(() => { copy.textContent = "Copy answer"; }, 2000);
  }
  function clearConversation() {
    stopAnswer();
    cancelAnimationFrame(raf);
    raf = 0;
    messages = [];
    views.clear();
    log.replaceChildren();
    save();
    refresh();
    announce("Conversation cleared.");
    input.focus();
  }

  /* ---- rendering ---- */
  function turnView(msg) {
    const v = el("div", "chat-turn chat-user");
    views.set(msg, v);
    if (msg.role == "user") {
      v.append(...[who("You"), msg.quote && el("blockquote", "chat-quoted", msg.quote),
        el("p", "chat-text", msg.content)].filter(Boolean));
    }
    else paint(msg);
    return v;
  }
  function who(text) {
    return el("p", "chat-who", text);
  }
  function paint(msg) {
    const v = views.get(msg);
    if (msg.role != "assistant") return;
    v.className = "chat-turn chat-bot is-" + msg.status;
    const parts = [who(msg.backend == "offline" ? OFFLINE : "Answer"), el("div", "chat-answer"),
      noteView(msg), sourcesView(msg.sources), elsewhereView(msg.elsewhere)];
    v.replaceChildren(...parts.filter(Boolean));
    paintAnswer(msg);
  }
  function paintAnswer(msg) {
    if (!views.has(msg)) return; // cleared while a repaint was pending
    const stick = log.scrollHeight - log.scrollTop - log.clientHeight < 60;
    views.get(msg).children[1].replaceChildren(...markdown(msg.content));
    if (stick) log.scrollTop = log.scrollHeight;
  }
  function noteView(msg) {
    const note = (text, ...kids) => el("p", "chat-note", text, ...kids);
    if (msg.status == "streaming") return note("Answering…");
    if (msg.status == "stopped") return note("Stopped: this answer is incomplete.");
    if (msg.status != "error") return null;
    const p = note((msg.content ? "Incomplete answer. " : "") + msg.error + " ");
    p.classList.add("chat-error");
    if (msg == messages.at(-1)) p.append(button("Retry", retry));
    return p;
  }
  function sourcesView(sources) {
    const links = (Array.isArray(sources) ? sources : [])
      .map((s) => s?.url && link(String(s.url), s.heading || s.title || s.url)).filter(Boolean);
    return links.length ? el("div", "chat-sources", el("p", null, "Sources"),
      el("ul", null, ...links.map((a) => el("li", null, a)))) : null;
  }
  /** Other pages of the site that may answer what this article does not cover (meta.elsewhere). */
  function elsewhereView(elsewhere) {
    const label = (e) => e.heading && e.heading != e.title ? e.title + ": " + e.heading : e.title || e.url;
    const links = (Array.isArray(elsewhere) ? elsewhere : [])
      .map((e) => e?.url && link(String(e.url), String(label(e)))).filter(Boolean);
    return links.length ? el("div", "chat-elsewhere",
      el("p", null, "This article may not cover that. These pages might:"),
      el("ul", null, ...links.map((a) => el("li", null, a)))) : null;
  }
  /** The id a #hash names; a malformed escape (#%) from a model's answer names nothing rather than throwing. */
  function fragment(hash) {
    try { return decodeURIComponent(hash.slice(1)); } catch { return ""; }
  }
  /** A link for an http(s) URL or a section of this page; null for anything else (javascript:, data:, ...). */
  function link(href, label) {
    let url;
    try { url = new URL(href, location.href); } catch { return null; }
    const body = document.getElementById("article-body");
    const id = fragment(url.hash);
    const path = (u) => u.pathname.replace(/index\.html$/, "");
    const here = path(url) == path(location);
    const target = document.getElementById(id) || (here && !id ? body : null);
    if (target && (href[0] == "#" || here || body?.contains(target))) {
      return el("a", { href: "#" + target.id }, label);
    }
    if (href[0] == "#" || !/^https?:$/.test(url.protocol)) return null;
    return el("a", { href: url.href, rel: "noopener nofollow" }, label);
  }
  function flash(target) {
    const reduce = matchMedia("(prefers-reduced-motion: reduce)").matches;
    target.scrollIntoView({ behavior: reduce ? "auto" : "smooth" });
    if (!target.hasAttribute("tabindex")) target.tabIndex = -1;
    target.focus({ preventScroll: true });
    // The introduction's link goes to the article body: mark its first paragraph, not the whole article.
    const mark = target.id == "article-body" ? target.firstElementChild || target : target;
    mark.classList.add("highlighted");
    clearTimeout(mark.chatFlash);
    mark.chatFlash = setTimeout(() => mark.classList.remove("highlighted"), 2000);
  }

  /** Markdown subset to DOM nodes: paragraphs, lists, quotes, headings, fenced code, code, emphasis, links. */
  function markdown(src) {
    const out = [], lines = src.split("\n");
    let block = null, list = null; // where inline text goes; the open list
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      let m;
      if ((m = /^\s*(`{3,}|~{3,})/.exec(line))) {
        const code = [];
        while (++i < lines.length && !lines[i].trim().startsWith(m[1])) code.push(lines[i]);
        out.push(el("pre", null, el("code", null, code.join("\n"))));
        block = list = null;
      } else if (!line.trim()) {
        block = list = null;
      } else if ((m = /^\s{0,3}#{1,6}\s+(.*)/.exec(line))) {
        out.push(inline(el("p", "chat-h"), m[1]));
        block = list = null;
      } else if ((m = /^\s*(?:[-*+]|(\d{1,9})[.)])\s+(.*)/.exec(line))) {
        const tag = m[1] ? "OL" : "UL";
        if (list?.tagName != tag) out.push((list = el(tag, m[1] > 1 ? { start: m[1] } : null)));
        list.append((block = inline(el("li"), m[2])));
      } else if ((m = /^\s*>\s?(.*)/.exec(line))) {
        if (block?.parentNode?.tagName != "BLOCKQUOTE") out.push(el("blockquote", null, (block = el("p"))));
        else block.append("\n");
        inline(block, m[1]);
        list = null;
      } else if (block) {
        inline(block, "\n" + line.trim());
      } else {
        out.push((block = inline(el("p"), line)));
      }
    }
    return out;
  }
  function inline(parent, text) {
    let at = 0;
    for (const m of text.matchAll(INLINE)) {
      parent.append(text.slice(at, m.index));
      at = m.index + m[0].length;
      if (m[1]) parent.append(el("code", null, m[1]));
      else if (m[2]) parent.append(inline(el("strong"), m[2]));
      else if (m[3]) parent.append(inline(el("em"), m[3]));
      else if (m[5]) parent.append(link(m[5], m[4]) || m[0]);
      else parent.append(...cite(m[6], m[0]));
    }
    parent.append(text.slice(at));
    return parent;
  }

  /** A "[Heading]" citation: a link to the section of this article with that heading, else the text as it is. */
  function cite(name, text) {
    const id = headings.get(plain(name));
    return id ? ["[", el("a", { href: "#" + id, className: "chat-cite" }, name), "]"] : [text];
  }
  function plain(text) {
    return text.normalize("NFKC").replace(/[‘’]/g, "'").replace(/[“”]/g, '"').replace(/\s+/g, " ").trim()
      .toLowerCase();
  }
  /** Heading text -> id; the article's title names its introduction, as the service's sources do. */
  function headingIds() {
    const ids = new Map([...document.querySelectorAll("#article-body :is(h2, h3, h4)[id]")]
      .map((h) => [plain(headingText(h)), h.id]));
    const title = article.querySelector("h1");
    if (title && prose && !ids.has(plain(title.textContent))) ids.set(plain(title.textContent), prose.id);
    return ids;
  }

  /* ---- the panel from anywhere: docked beside the article (wide screens) or as a bottom sheet ---- */
  /** Docks the panel and focuses the question box; with a `found` passage ({text, range}), asks about it. */
  function open(found) {
    passage.hidden = true;
    if (found) setQuote(found.text, found.range);
    if (!place) {
      place = { y: scrollY, focus: document.activeElement, inert: [] };
      dockAs(wide.matches);
      place.at = scrollY;
      launch.setAttribute("aria-expanded", "true");
      closer.hidden = false;
      showDock();
    }
    input.focus({ preventScroll: true });
  }
  function dockAs(side) {
    place.inert.forEach((n) => { n.inert = false; });
    keepPlace(() => {
      root.classList.add("is-docked");
      root.classList.toggle("is-side", side);
      root.classList.toggle("is-sheet", !side);
      document.documentElement.classList.toggle("chat-beside", side);
    });
    place.inert = side ? [] : inertOthers(); // the sheet is modal: the page behind it is out of reach
    scrim.hidden = side;
  }
  /** Undocks the panel; with `restore`, the reader is put back where they were, focus included. */
  function close(restore = true) {
    if (!place) return;
    const { y, at, focus, inert } = place;
    place = null;
    inert.forEach((n) => { n.inert = false; });
    window.CSS?.highlights?.delete("chat-passage"); // the question may wait; the mark in the text goes
    keepPlace(() => {
      root.classList.remove("is-docked", "is-side", "is-sheet");
      document.documentElement.classList.remove("chat-beside");
    });
    if (restore && Math.abs(scrollY - at) < 2) scrollTo(scrollX, y); // not scrolled meanwhile: exactly back
    scrim.hidden = closer.hidden = true;
    launch.setAttribute("aria-expanded", "false");
    const box = root.getBoundingClientRect();
    inlineSeen = box.top < innerHeight && box.bottom > 0;
    placeDock();
    showDock();
    const back = (n) => n?.isConnected && n != document.body && n != passage && n.getClientRects().length;
    if (restore) (back(focus) ? focus : dock.hidden ? input : launch).focus({ preventScroll: true });
  }
  /** Runs a change of layout, keeping the paragraph at the top of the window where it was. */
  function keepPlace(change) {
    const at = prose && scrollY > 0 && [...prose.children].find((n) => n.getBoundingClientRect().bottom > 0);
    const top = at && at.getBoundingClientRect().top;
    change();
    if (at) scrollBy(0, at.getBoundingClientRect().top - top);
  }
  function inertOthers() {
    const out = [];
    for (let n = root; n.parentElement && n != document.body; n = n.parentElement) {
      for (const s of n.parentElement.children) if (s != n && s != scrim && !s.inert) out.push(s);
    }
    out.forEach((n) => { n.inert = true; });
    return out;
  }
  /** The control rides in the margin beside the text when there is room, else in a bar at the bottom. */
  function placeDock() {
    if (place) return;
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
    const room = document.documentElement.clientWidth - article.getBoundingClientRect().right;
    const rail = room >= 9.5 * rem; // a gap before it, its width, a gap after it
    dock.classList.toggle("is-rail", rail);
    dock.style.width = rail ? Math.min(10 * rem, room - 2 * rem) + "px" : "";
  }
  function showDock() {
    dock.hidden = !!place || inlineSeen; // no need for it while the panel itself is on screen
  }

  /* ---- "Ask about this passage": a button by a selection in the article body ---- */
  function clip(text) {
    return text.length <= MAX_QUOTE ? text : text.slice(0, MAX_QUOTE - 1).replace(/\s+\S*$/, "") + "…";
  }
  function setQuote(text, range) {
    quote = text;
    // The passage stays marked in the article while the question about it is written (where supported).
    if (window.Highlight && CSS.highlights) {
      if (range) CSS.highlights.set("chat-passage", new Highlight(range.cloneRange()));
      else CSS.highlights.delete("chat-passage");
    }
    quoteText.textContent = text;
    quoteBox.hidden = !text;
    input.placeholder = text ? "Ask about this passage" : "Ask a question about this article";
    input.setAttribute("aria-describedby", text ? "chat-quote chat-hint" : "chat-hint");
  }
  /** The selection, when it is text of the article body (not its header, not the panel, not a code block). */
  function selectedPassage() {
    const sel = getSelection();
    const range = sel.rangeCount && !sel.isCollapsed && sel.getRangeAt(0);
    if (!range || !prose?.contains(range.commonAncestorContainer)) return null;
    if ([...prose.querySelectorAll("pre")].some((p) => range.intersectsNode(p))) return null; // code to copy
    const text = sel.toString().replace(/\s+/g, " ").trim();
    return text.length > 1 ? { range, text: clip(text) } : null;
  }
  function showPassage() {
    const found = !(place && !wide.matches) && selectedPassage();
    const rects = found ? [...found.range.getClientRects()].filter((r) => r.width || r.height) : [];
    passage.hidden = !rects.length;
    if (!rects.length) return;
    picked = found;
    const first = rects[0], last = rects.at(-1), w = passage.offsetWidth, h = passage.offsetHeight;
    // Below the selection's end (touch handles and the system's menu need room), above it near the bottom.
    const gap = matchMedia("(pointer: coarse)").matches ? 28 : 8;
    const floor = dock.hidden || dock.classList.contains("is-rail") ? innerHeight : dock.getBoundingClientRect().top;
    const top = last.bottom + gap + h < floor ? last.bottom + gap : Math.max(8, first.top - gap - h);
    const left = Math.max(8, Math.min(last.right - w, document.documentElement.clientWidth - w - 8));
    passage.style.top = top + scrollY + "px";
    passage.style.left = left + scrollX + "px";
  }
})();
