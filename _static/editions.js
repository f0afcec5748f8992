// The editions of a published site (python -m ldil2 publish): a version switcher on every page,
// on an older edition a banner naming the latest one, and on the landing page the link to the
// edition's PDF. Everything is read at view time from the site's versions.json (the
// pydata-sphinx-theme version-switcher format) and from the "Cite this edition" block that the
// build puts in every page's footer (#ldil2-edition: version, label, PDF name), so an archived
// edition is never rewritten when a newer one is published. A build that is not published has
// an empty versions.json of its own: its pages show none of it.
(function () {
  "use strict";

  const ARCHIVE = "editions/";

  // The root of this edition (Sphinx writes its path relative to the page) and of the site:
  // an archived edition lives at <site>/editions/<version>/, the newest also at <site>/.
  function roots(version) {
    const relative = document.documentElement.dataset.content_root || "./";
    const edition = new URL(relative, window.location.href);
    const suffix = "/" + ARCHIVE + encodeURIComponent(version) + "/";
    const archived = edition.pathname.endsWith(suffix);
    const site = archived ? new URL("../../", edition) : edition;
    return { edition: edition, site: site, archived: archived };
  }

  async function exists(url) {
    try {
      const response = await fetch(url, { method: "HEAD", cache: "no-cache" });
      return response.ok;
    } catch (error) {
      return false;
    }
  }

  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([name, value]) => node.setAttribute(name, value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // The same page in another edition; if that edition has no such page, its landing page.
  function switcher(entries, version, where) {
    const page = window.location.pathname.slice(where.edition.pathname.length);
    const box = element("details", { class: "ldil2-switcher" });
    const current = entries.find((entry) => entry.version === version);
    box.appendChild(element("summary", {}, "Edition: " + (current ? current.name : version)));
    const list = element("ul", { role: "list" });
    entries.forEach((entry) => {
      const base = new URL(entry.url, where.site);
      const link = element("a", { href: new URL(page, base).href }, entry.name);
      if (entry.version === version) link.setAttribute("aria-current", "page");
      if (entry.preferred) link.appendChild(element("span", { class: "ldil2-latest" }, " latest"));
      link.addEventListener("click", async (event) => {
        event.preventDefault();
        window.location.href = (await exists(link.href)) ? link.href : base.href;
      });
      const item = element("li");
      item.appendChild(link);
      list.appendChild(item);
    });
    box.appendChild(list);
    return box;
  }

  function banner(facts, latest, where) {
    const box = element("div", { class: "ldil2-old-edition", role: "note" });
    box.appendChild(document.createTextNode("You are reading " + facts.dataset.label + "; the latest is "));
    box.appendChild(element("a", { href: new URL(latest.url, where.site).href }, latest.name));
    box.appendChild(document.createTextNode("."));
    return box;
  }

  // Every published edition has its PDF beside its pages (python -m ldil2 publish prints it).
  function pdfLink(facts, where) {
    const url = new URL(facts.dataset.pdf, where.edition);
    const paragraph = element("p", { class: "ldil2-pdf" });
    paragraph.appendChild(document.createTextNode("This edition as one PDF: "));
    paragraph.appendChild(element("a", { href: url.href, download: facts.dataset.pdf }, facts.dataset.pdf));
    return paragraph;
  }

  async function main() {
    const facts = document.getElementById("ldil2-edition");
    if (!facts) return;
    const version = facts.dataset.version;
    const where = roots(version);
    let entries;
    try {
      const response = await fetch(new URL("versions.json", where.site), { cache: "no-cache" });
      if (!response.ok) return;
      entries = await response.json();
    } catch (error) {
      return; // not a published site
    }
    // A build not yet published holds an empty versions.json: no switcher, no banner, no PDF.
    if (!Array.isArray(entries) || !entries.some((entry) => entry.version === version)) return;
    const article = document.querySelector(".bd-article") || document.body;
    const top = element("div", { class: "ldil2-editions" });
    top.appendChild(switcher(entries, version, where));
    const latest = entries.find((entry) => entry.preferred) || entries[0];
    if (latest.version !== version) top.appendChild(banner(facts, latest, where));
    article.prepend(top);
    const page = window.location.pathname.slice(where.edition.pathname.length);
    const heading = article.querySelector("h1");
    if ((page === "" || page === "index.html") && heading) heading.after(pdfLink(facts, where));
    document.documentElement.dataset.ldil2Editions = "ready";
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", main);
  } else {
    main();
  }
})();
