// Small page helpers: copy link, Web Share, "Was this helpful?", and a table of contents that follows the reader.
(() => {
  "use strict";
  const $$ = (sel) => Array.from(document.querySelectorAll(sel));

  for (const button of $$("[data-copy-link]")) {
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(button.dataset.copyLink);
        button.textContent = "Link copied";
      } catch {
        button.textContent = "Copy failed";
      }
      setTimeout(() => { button.textContent = "Copy link"; }, 2000);
    });
  }

  for (const button of $$("[data-share]")) {
    if (!navigator.share) continue;
    button.hidden = false;
    button.addEventListener("click", () => {
      navigator.share({ title: document.title, url: document.querySelector("link[rel=canonical]").href }).catch(() => {});
    });
  }

  for (const button of $$("[data-helpful]")) {
    button.addEventListener("click", () => {
      const status = button.closest(".helpful").querySelector(".helpful-thanks");
      status.textContent = button.dataset.helpful === "yes" ? "Thank you!" : "Thanks, we will take another look.";
    });
  }

  // The contents list is open for readers without JavaScript; on a phone it would push the article off screen.
  const toc = document.querySelector(".toc details");
  if (toc && window.matchMedia("(max-width: 74rem)").matches) toc.open = false;

  const links = new Map($$(".toc a[href^='#']").map((a) => [decodeURIComponent(a.hash.slice(1)), a]));
  if (links.size && "IntersectionObserver" in window) {
    let current = null;
    const observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        const link = links.get(entry.target.id);
        if (current) current.classList.remove("current");
        if (link) { link.classList.add("current"); link.setAttribute("aria-current", "location"); }
        if (current && current !== link) current.removeAttribute("aria-current");
        current = link;
      }
    }, { rootMargin: "0px 0px -75% 0px" });
    for (const id of links.keys()) {
      const heading = document.getElementById(id);
      if (heading) observer.observe(heading);
    }
  }
})();
