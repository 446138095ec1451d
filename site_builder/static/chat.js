/* Folio chat panel: asks POST /chat about this article and streams the answer (SSE read through fetch).
   Model output is untrusted: it becomes DOM nodes through createElement/textContent only, never HTML. */
(() => {
  "use strict";
  const root = document.querySelector("aside.chat[data-chat-endpoint]");
  if (!root || !window.fetch || !window.TextDecoder || !window.AbortController) return;

  const ENDPOINT = root.dataset.chatEndpoint;
  const SLUG = root.dataset.article || location.pathname;
  const KEY = "folio-chat:v1:" + SLUG;
  // Stay inside the service's limits (issue 3): message count, message length, request body size.
  const MAX_MESSAGES = 12, MAX_CHARS = 4000, MAX_BODY = 30000;
  const SKIP = /^(references|notes|see also|sources|further reading|external links)$/i;
  const OFFLINE = "Passages from the article (no AI)";
  const UNREACHABLE = "The assistant can't be reached right now. The article above is complete without it.";
  const reduced = matchMedia("(prefers-reduced-motion: reduce)");
  const INLINE = /`([^`\n]+)`|\*\*(.+?)\*\*|\*(\S(?:.*?\S)?)\*|\[([^\]\n]+)\]\(([^)\s]+)\)/g;
  const views = new WeakMap();
  let messages = load(), ctrl = null, raf = 0;

  function el(tag, props, ...kids) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === "text") n.textContent = v;
      else if (k in n) n[k] = v;
      else n.setAttribute(k, v);
    }
    n.append(...kids.filter((c) => c != null));
    return n;
  }
  const button = (text, onclick, className = "") => el("button", { type: "button", text, onclick, className });

  /* ---- the panel ---- */
  const log = el("div", { className: "chat-log", role: "region", "aria-label": "Conversation", tabIndex: 0 });
  const starters = el("div", { className: "chat-starters", role: "group", "aria-label": "Suggested questions" });
  const input = el("textarea", {
    id: "chat-question", name: "question", rows: 2, maxLength: MAX_CHARS, autocomplete: "off",
    placeholder: "Ask a question about this article", "aria-describedby": "chat-hint",
  });
  const send = el("button", { type: "submit", className: "chat-send", text: "Send" });
  const stop = button("Stop", () => { stopAnswer(); input.focus(); }, "chat-stop");
  const copy = button("Copy answer", copyAnswer);
  const clear = button("Clear conversation", clearConversation);
  const live = el("div", { className: "chat-sr", "aria-live": "polite" });
  const form = el("form", { className: "chat-form" },
    el("label", { htmlFor: "chat-question", text: "Your question" }), input,
    el("div", { className: "chat-actions" }, send, stop, copy, clear),
    el("p", { id: "chat-hint", className: "chat-hint", text: "Enter sends, Shift+Enter adds a line, Esc stops." }));
  root.append(log, starters, form, live);
  root.classList.add("chat-ready");

  for (const q of starterQuestions()) starters.append(button(q, () => { input.focus(); ask(q); }));
  for (const m of messages) log.append(turnView(m));
  refresh();

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const q = input.value.trim();
    if (!q || ctrl) return;
    input.value = "";
    ask(q);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
  });
  root.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && ctrl) { e.preventDefault(); stopAnswer(); input.focus(); }
  });
  root.addEventListener("click", (e) => {
    const a = e.target.closest("a[href^='#']");
    const t = a && document.getElementById(decodeURIComponent(a.hash.slice(1)));
    if (!t) return;
    e.preventDefault();
    history.pushState(null, "", a.hash);
    flash(t);
  });
  addEventListener("pagehide", save);

  function starterQuestions() {
    const heads = [...document.querySelectorAll("#article-body h2")].map(headingText);
    const picked = heads.filter((h) => h && !SKIP.test(h)).slice(0, 3);
    const forms = [(h) => `What does the article say about ${lower(h)}?`,
      (h) => `Can you summarize the section “${h}”?`, (h) => `What are the key points of “${h}”?`];
    return picked.map((h, i) => forms[i](h));
  }
  function headingText(h) {
    const c = h.cloneNode(true);
    c.querySelectorAll("a.headerlink, .anchor, [aria-hidden='true']").forEach((n) => n.remove());
    return c.textContent.replace(/[¶#§\s]+$/, "").trim();
  }
  function lower(s) {
    return /^.[a-z]/.test(s) ? s[0].toLowerCase() + s.slice(1) : s;
  }

  /* ---- conversation state ---- */
  function load() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(KEY) || "[]");
      return (Array.isArray(saved) ? saved : [])
        .filter((m) => m && /^(user|assistant)$/.test(m.role) && typeof m.content === "string")
        .map((m) => (m.status === "streaming" ? { ...m, status: "stopped" } : m));
    } catch { return []; }
  }
  function save() {
    try {
      if (messages.length) sessionStorage.setItem(KEY, JSON.stringify(messages));
      else sessionStorage.removeItem(KEY);
    } catch { /* storage full or disabled: the conversation lives as long as the page */ }
  }
  function outgoing() {
    let out = messages.filter((m) => m.content.trim())
      .map((m) => ({ role: m.role, content: m.content.slice(0, MAX_CHARS) })).slice(-MAX_MESSAGES);
    const size = () => new TextEncoder().encode(JSON.stringify(out)).length;
    while (out.length > 1 && (out[0].role !== "user" || size() > MAX_BODY)) out = out.slice(1);
    return out;
  }
  function refresh() {
    const busy = !!ctrl;
    stop.hidden = !busy;
    send.hidden = busy;
    log.setAttribute("aria-busy", busy);
    log.hidden = !messages.length;
    starters.hidden = !!messages.length || !starters.childElementCount;
    copy.disabled = !messages.some((m) => m.role === "assistant" && m.content);
    clear.disabled = !messages.length;
  }
  function announce(text) {
    live.textContent = "";
    setTimeout(() => { live.textContent = text; }, 50);
  }

  /* ---- asking and streaming ---- */
  async function ask(question) {
    if (ctrl) return;
    if (question != null) {
      const prev = messages[messages.length - 1];
      messages.push({ role: "user", content: question });
      if (prev) paint(prev);
      log.append(turnView(messages[messages.length - 1]));
    }
    const body = JSON.stringify({ article: SLUG, messages: outgoing() });
    const msg = { role: "assistant", content: "", status: "streaming", sources: [] };
    messages.push(msg);
    log.append(turnView(msg));
    const mine = (ctrl = new AbortController());
    refresh();
    log.scrollTop = log.scrollHeight;
    save();
    try {
      const res = await fetch(ENDPOINT, {
        method: "POST", body, signal: mine.signal, credentials: "omit",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      });
      if (!res.ok) return fail(msg, await httpError(res));
      await readStream(res.body.getReader(), msg);
    } catch (e) {
      if (e.name !== "AbortError") fail(msg, UNREACHABLE);
    } finally {
      if (ctrl === mine) ctrl = null;
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
      if (ended) { reader.cancel().catch(() => {}); return; }
    }
    feed(dec.decode()); // an event cut off by the end of the stream is dropped, as EventSource does
    if (!ended) fail(msg, "The connection closed before the answer was complete.");
  }
  /** Returns a function that takes decoded text chunks and calls onEvent(type, data) per complete event. */
  function sseParser(onEvent) {
    let buf = "", type = "", data = [];
    return (chunk) => {
      buf += chunk;
      let m;
      while ((m = /\r\n|\r|\n/.exec(buf))) {
        if (m[0] === "\r" && m.index === buf.length - 1) break; // maybe the first half of \r\n
        const line = buf.slice(0, m.index);
        buf = buf.slice(m.index + m[0].length);
        if (line === "") {
          if (data.length) {
            let parsed = null;
            try { parsed = JSON.parse(data.join("\n")); } catch { parsed = null; }
            onEvent(type || "message", parsed);
          }
          type = "";
          data = [];
          continue;
        }
        if (line[0] === ":") continue;
        const i = line.indexOf(":");
        const field = i < 0 ? line : line.slice(0, i);
        const value = i < 0 ? "" : line.slice(i + (line[i + 1] === " " ? 2 : 1));
        if (field === "event") type = value;
        else if (field === "data") data.push(value);
      }
    };
  }
  /** Applies one event to the answer; returns true when the stream is over. */
  function onEvent(msg, type, data) {
    if (msg.status !== "streaming") return true;
    if (!/^(meta|token|done|error)$/.test(type)) return false;
    if (!data || typeof data !== "object") return fail(msg, "The service sent an answer this page cannot read."), true;
    if (type === "meta") {
      msg.sources = Array.isArray(data.sources) ? data.sources : [];
      msg.backend = data.backend;
      paint(msg);
    } else if (type === "token") {
      msg.content += typeof data.delta === "string" ? data.delta : "";
      if (!raf) raf = requestAnimationFrame(() => { raf = 0; paintAnswer(msg); });
    } else if (type === "done") {
      msg.status = "done";
      paint(msg);
      const text = views.get(msg).querySelector(".chat-answer").innerText;
      announce((msg.backend === "offline" ? OFFLINE : "Answer") + ": " + text);
      return true;
    } else if (type === "error") {
      fail(msg, data.message || "The answer could not be completed.");
      return true;
    }
    return false;
  }
  function fail(msg, text) {
    if (msg.status !== "streaming") return;
    msg.status = "error";
    msg.error = text;
    paint(msg);
    announce(text);
  }
  async function httpError(res) {
    let message = "", retryAfter = res.headers.get("Retry-After");
    try {
      const err = (await res.json()).error || {};
      message = String(err.message || "");
      retryAfter = retryAfter || err.retry_after;
    } catch { /* not JSON: say what the status means */ }
    if (res.status === 429) {
      const s = Math.ceil(Number(retryAfter));
      const wait = s > 0 ? `in ${s} second${s === 1 ? "" : "s"}` : "in a moment";
      return `Too many questions right now. Please try again ${wait}.`;
    }
    return message || `The assistant could not answer (error ${res.status}).`;
  }
  function stopAnswer() {
    if (!ctrl) return;
    ctrl.abort();
    ctrl = null;
    const msg = messages[messages.length - 1];
    if (msg && msg.status === "streaming") {
      msg.status = "stopped";
      paint(msg);
      announce("Stopped.");
    }
    refresh();
    save();
  }
  function retry() {
    if (ctrl) return;
    const last = messages[messages.length - 1];
    if (last && last.role === "assistant") {
      messages.pop();
      views.get(last).remove();
    }
    input.focus();
    ask(null);
  }
  async function copyAnswer() {
    const last = messages.filter((m) => m.role === "assistant" && m.content).pop();
    if (!last) return;
    try {
      await navigator.clipboard.writeText(last.content);
      copy.textContent = "Copied";
      announce("Answer copied.");
    } catch {
      copy.textContent = "Copy failed";
    }
    setTimeout(() => { copy.textContent = "Copy answer"; }, 2000);
  }
  function clearConversation() {
    stopAnswer();
    messages = [];
    log.replaceChildren();
    save();
    refresh();
    announce("Conversation cleared.");
    input.focus();
  }

  /* ---- rendering ---- */
  function turnView(msg) {
    const v = el("div");
    views.set(msg, v);
    if (msg.role === "user") {
      v.className = "chat-turn chat-user";
      v.append(el("p", { className: "chat-who", text: "You" }), el("p", { className: "chat-text", text: msg.content }));
    } else paint(msg);
    return v;
  }
  function paint(msg) {
    const v = views.get(msg);
    if (!v || msg.role !== "assistant") return;
    v.className = "chat-turn chat-bot is-" + (msg.status || "done");
    v.replaceChildren(
      el("p", { className: "chat-who", text: msg.backend === "offline" ? OFFLINE : "Answer" }),
      el("div", { className: "chat-answer" }),
      noteView(msg), sourcesView(msg.sources));
    paintAnswer(msg);
  }
  function paintAnswer(msg) {
    const v = views.get(msg);
    if (!v) return;
    const stick = log.scrollHeight - log.scrollTop - log.clientHeight < 60;
    v.querySelector(".chat-answer").replaceChildren(...markdown(msg.content));
    if (stick) log.scrollTop = log.scrollHeight;
  }
  function noteView(msg) {
    const last = msg === messages[messages.length - 1];
    if (msg.status === "streaming") return el("p", { className: "chat-note", text: "Answering…" });
    if (msg.status === "stopped") return el("p", { className: "chat-note", text: "Stopped: this answer is incomplete." });
    if (msg.status !== "error") return null;
    const text = (msg.content ? "Incomplete answer. " : "") + msg.error;
    return el("p", { className: "chat-note chat-error" }, text, last ? " " : null, last ? button("Retry", retry) : null);
  }
  function sourcesView(sources) {
    const links = (sources || []).map((s) => s && link(String(s.url || ""), s.heading || s.title || s.url)).filter(Boolean);
    if (!links.length) return null;
    return el("div", { className: "chat-sources" }, el("p", { text: "Sources" }),
      el("ul", null, ...links.map((a) => el("li", null, a))));
  }
  /** A link for an http(s) URL or an in-page #anchor; null for anything else (javascript:, data:, ...). */
  function link(href, label) {
    let url;
    try { url = new URL(href, location.href); } catch { return null; }
    const id = decodeURIComponent(url.hash.slice(1));
    const body = document.getElementById("article-body");
    const here = document.getElementById(id) || (!id && samePage(url) ? body : null);
    if (here && (href[0] === "#" || samePage(url) || (body && body.contains(here)))) {
      return el("a", { href: "#" + here.id, text: label });
    }
    if (href[0] === "#" || !/^https?:$/.test(url.protocol)) return null;
    return el("a", { href: url.href, text: label, rel: "noopener noreferrer nofollow" });
  }
  function samePage(url) {
    const strip = (p) => p.replace(/index\.html$/, "");
    return strip(url.pathname) === strip(location.pathname);
  }
  function flash(target) {
    target.scrollIntoView({ behavior: reduced.matches ? "auto" : "smooth", block: "start" });
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
    target.classList.remove("chat-flash");
    void target.offsetWidth; // restart the animation
    target.classList.add("chat-flash");
    clearTimeout(target.chatFlash);
    target.chatFlash = setTimeout(() => target.classList.remove("chat-flash"), 2000);
  }

  /** Markdown subset to DOM nodes: paragraphs, lists, quotes, headings, fenced code, inline code, emphasis, links. */
  function markdown(src) {
    const out = [], lines = src.split("\n");
    let block = null, list = null; // the element inline text goes into; the open list
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      let m;
      if ((m = /^\s*(`{3,}|~{3,})\s*([\w+-]*)/.exec(line))) {
        const code = [];
        while (++i < lines.length && !lines[i].trim().startsWith(m[1])) code.push(lines[i]);
        out.push(el("pre", null, el("code", { text: code.join("\n") })));
        block = list = null;
      } else if (!line.trim()) {
        block = list = null;
      } else if ((m = /^\s{0,3}#{1,6}\s+(.*)$/.exec(line))) {
        out.push(inline(el("p", { className: "chat-h" }), m[1]));
        block = list = null;
      } else if ((m = /^\s*(?:[-*+]|(\d{1,9})[.)])\s+(.*)$/.exec(line))) {
        const tag = m[1] ? "OL" : "UL";
        if (!list || list.tagName !== tag) {
          out.push((list = el(tag)));
          if (m[1] && m[1] !== "1") list.start = Number(m[1]);
        }
        list.append((block = inline(el("li"), m[2])));
      } else if ((m = /^\s*>\s?(.*)$/.exec(line))) {
        if (!block || block.parentNode?.tagName !== "BLOCKQUOTE") {
          out.push(el("blockquote", null, (block = el("p"))));
          list = null;
        } else block.append("\n");
        inline(block, m[1]);
      } else if (block) {
        block.append("\n");
        inline(block, line.trim());
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
      if (m[1] != null) parent.append(el("code", { text: m[1] }));
      else if (m[2] != null) parent.append(inline(el("strong"), m[2]));
      else if (m[3] != null) parent.append(inline(el("em"), m[3]));
      else parent.append(link(m[5], m[4]) || m[0]);
    }
    parent.append(text.slice(at));
    return parent;
  }
})();
