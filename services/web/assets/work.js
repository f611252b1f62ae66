// The workspace's live parts; every page works without them.
"use strict";

// The speakers' queue: every screen that watches it reloads it every few
// seconds, unless someone is using a button in it.
for (const part of document.querySelectorAll("[data-refresh]")) {
  const refresh = async () => {
    if (part.contains(document.activeElement) && document.activeElement !== document.body) return;
    try {
      const answer = await fetch(part.dataset.refresh, { credentials: "same-origin", cache: "no-store" });
      if (answer.ok) {
        const html = await answer.text();
        if (html !== part.innerHTML) part.innerHTML = html;
      }
    } catch (_) {
      // Offline for a moment: the next round tries again.
    }
  };
  setInterval(refresh, 2000);
}

// R7.3: a publication date later than the last allowed day is flagged as it is chosen.
for (const input of document.querySelectorAll("input[data-latest]")) {
  const check = document.getElementById("announce-check");
  const show = () => {
    const late = input.value && input.value > input.dataset.latest;
    check.textContent = late ? check.dataset.message : "";
  };
  input.addEventListener("input", show);
  show();
}

// R10.2: how many unanswered petitions still have no agency.
const missing = document.getElementById("notice-missing");
if (missing) {
  const choices = document.querySelectorAll("td.assign select");
  const count = () => {
    const n = [...choices].filter((s) => !s.value).length;
    missing.textContent = n > 0 ? missing.dataset.one.replace("{n}", n) : "";
  };
  choices.forEach((s) => s.addEventListener("change", count));
  count();
}

// A part another service is still preparing (the minutes, just after the
// start): the page comes again once it is there.
for (const waiting of document.querySelectorAll("[data-reload]")) {
  setTimeout(() => window.location.reload(), Number(waiting.dataset.reload));
}
