// Every page speaks the reader's language: walked as each role in Chinese and in English, no page may
// show an internal code, an enum value, a unit abbreviation or a raw timestamp. Codes people really use
// (case and request numbers, item codes such as SCJG-001) are allowed.
const { test, expect, login } = require("./fixtures");


// What an internal identifier looks like in visible text.
const EVERYWHERE = [
  [/\b[a-z]+(?:_[a-z0-9]+)+\b/g, "snake_case identifier"],
  [/\b[a-z]+-\d+\b/g, "area or internal code"],
  [/\bM-[A-Z0-9-]+\b/g, "material code"],
  [/\b\d+(?:\.\d+)?\s?(?:wd|nd|wh|nh)\b/g, "unit abbreviation"],
  [/[（(]\s*(?:wd|nd|wh|nh)\s*[)）]/g, "unit abbreviation"],
  [/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/g, "raw timestamp"],
  [/\b(?:true|false|null|undefined|NaN)\b/g, "raw value"],
];
// English words that are enum values when they appear on a Chinese page.
const ON_CHINESE_PAGES = [
  [/\b(?:received|dispatched|signed|replied|return_visited|closed|merged|approved|refused|submitted|in_review|decided|delivered|withdrawn|running|warning|overdue|paused|met|online|window|phone|web|grid|enterprise|open311|complaint|enquiry|help|report|suggestion|normal|urgent|emergency|approve|return|refuse)\b/g, "English enum value"],
];

async function problems(page, path) {
  const text = await page.evaluate(() => {
    // Visible text only; the code blocks of the API documentation are for programmers.
    const clone = document.body.cloneNode(true);
    clone.querySelectorAll("script, style, code, pre, .mono, [hidden]").forEach((n) => n.remove());
    return clone.innerText;
  });
  const zh = (await page.evaluate(() => document.documentElement.lang)).startsWith("zh");
  const found = [];
  for (const [re, what] of EVERYWHERE.concat(zh ? ON_CHINESE_PAGES : [])) {
    for (const m of text.matchAll(re)) found.push(`${path} (${zh ? "zh" : "en"}): ${what} "${m[0]}"`);
  }
  return found;
}

const ROLES = {
  zhangsan: ["/", "/cases", "/apply/item/SCJG-002", "/apply/bundle/XSECS", "/tokens"],
  window1: ["/window", "/cases"],
  fire1: ["/inbox"],
  leader: ["/dashboard", "/cases", "/hotline/supervision"],
  admin: ["/admin", "/admin/items/SCJG-001", "/admin/bundles/QYKB", "/admin/calendar?month=2026-10"],
  operator1: ["/hotline/intake", "/hotline/tickets"],
  dispatcher: ["/hotline/dispatch", "/hotline/visits", "/hotline/tickets", "/inbox"],
  grid1: ["/grid/report", "/inbox"],
  agent1: ["/agent", "/agreements", "/projects"],
  yunfan: ["/agreements", "/projects"],
  approval1: ["/agreements", "/projects/board"],
  nature1: ["/cases"],
};

async function visit(page, path, lang, found) {
  await page.context().addCookies([{ name: "lang", value: lang, url: process.env.ONEGO_BASE_URL }]);
  const res = await page.goto(path);
  expect(res.status(), path).toBeLessThan(400);
  found.push(...(await problems(page, path)));
}

for (const lang of ["zh", "en"]) {
  test(`no internal codes on any page in ${lang === "zh" ? "Chinese" : "English"}`, async ({ page }) => {
    const found = [];
    for (const path of ["/", "/login", "/items/SCJG-002", "/bundles/KBCYD", "/request", "/track"]) {
      await page.context().clearCookies();
      await visit(page, path, lang, found);
    }
    for (const [who, paths] of Object.entries(ROLES)) {
      await login(page, who);
      for (const path of paths) await visit(page, path, lang, found);
      // The first case and request a list links to.
      for (const list of paths) {
        await page.goto(list);
        const links = await page.$$eval("main a[href]", (as) => as.map((a) => a.getAttribute("href")));
        const first = (re) => links.find((h) => re.test(h));
        for (const href of [first(/^\/cases\/\d+$/), first(/^\/tickets\/\d+$/), first(/^\/agreements\/\d+$/), first(/^\/projects\/\d+$/)]) {
          if (href) await visit(page, href, lang, found);
        }
      }
    }
    const unique = [...new Set(found)];
    expect(unique, unique.join("\n")).toEqual([]);
  });
}
