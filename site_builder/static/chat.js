/* Folio chat panel: asks POST /chat about this article and streams the answer (SSE read through fetch).
   Model output is untrusted: it becomes DOM nodes through createElement and text nodes only, never HTML. */
(() => {
  "use strict";
  const root = document.querySelector("aside.chat[data-chat-endpoint]");
  if (!root || !window.fetch || !window.AbortController) return;

  const SLUG = root.dataset.article;
  const KEY = "folio-chat:v1:" + SLUG;
  // Inside the service's limits (issue 3): messages per request, characters per message, body bytes.
  const MAX_MESSAGES = 12, MAX_CHARS = 4000, MAX_BODY = 30000;
  const OFFLINE = "Passages from the article (no AI)";
  const INLINE = /`([^`\n]+)`|\*\*(.+?)\*\*|\*(\S(?:.*?\S)?)\*|\[([^\]\n]+)\]\(([^)\s]+)\)/g;
  const views = new Map(); // message -> its element
  let messages = load(), ctrl = null, raf = 0;

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
  const form = el("form", "chat-form",
    el("label", { htmlFor: "chat-question" }, "Your question"), input,
    el("div", "chat-actions", send, stop, copy, clear),
    el("p", { id: "chat-hint", className: "chat-hint" }, "Enter sends, Shift+Enter adds a line, Esc stops."));
  root.append(log, starters, form, live);
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
    if (e.key === "Escape" && ctrl) { stopAnswer(); input.focus(); }
  });
  root.addEventListener("click", (e) => {
    const a = e.target.closest("a[href^='#']");
    const t = a && document.getElementById(fragment(a.hash));
    if (!t) return;
    e.preventDefault();
    history.pushState(null, "", a.hash);
    flash(t);
  });
  addEventListener("pagehide", save);

  /** Three questions from the article's h2 headings. */
  function starterQuestions() {
    const heads = [...document.querySelectorAll("#article-body h2")].map((h) => {
      const c = h.cloneNode(true);
      c.querySelectorAll(".anchor").forEach((n) => n.remove());
      return c.textContent.trim();
    }).filter((h) => h && !/^(references|notes|see also)$/i.test(h));
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
        .map((m) => (m.status == "streaming" ? { ...m, status: "stopped" } : m));
    } catch { return []; }
  }
  function save() {
    try {
      if (messages.length) sessionStorage.setItem(KEY, JSON.stringify(messages));
      else sessionStorage.removeItem(KEY);
    } catch { /* storage full or off: the conversation lasts as long as the page */ }
  }
  /** The conversation to send: non-empty turns, each cut, the last few, starting with the reader, small enough. */
  function outgoing() {
    let out = messages.filter((m) => m.content.trim())
      .map((m) => ({ role: m.role, content: m.content.slice(0, MAX_CHARS) })).slice(-MAX_MESSAGES);
    const size = () => new Blob([JSON.stringify(out)]).size;
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
      messages.push({ role: "user", content: question });
      if (prev) paint(prev); // its Retry button goes
      log.append(turnView(messages.at(-1)));
    }
    const body = JSON.stringify({ article: SLUG, messages: outgoing() });
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
    if (msg.role == "user") v.append(who("You"), el("p", "chat-text", msg.content));
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
      else parent.append(link(m[5], m[4]) || m[0]);
    }
    parent.append(text.slice(at));
    return parent;
  }
})();
