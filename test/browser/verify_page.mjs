// Drives tools/verify_draw.html in Debian's chromium (headless) through playwright-core.
//   node verify_page.mjs CASES.json
// CASES.json: { "page": "/abs/tools/verify_draw.html", "serve": "http://127.0.0.1:PORT/verify_draw.html" | null,
//               "screenshot": "/abs/out.png" | null,
//               "cases": [ { "name", "via": "files"|"paste"|"drop"|"publication", "url": "file"|"served",
//                            "population", "seed", "seed_kind": "hex"|"text", "algorithm", "allocation",
//                            "digest", "targets", "publication", "expect": "same"|"different",
//                            "expect_targets": file of the extension's targets (stratum,rank,uscc), "expect_digest" } ] }
// Prints one "ok: ..." or "FAILED: ..." line per case; exits 1 when any failed.
import { readFileSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createRequire } from "node:module";

const require = createRequire(process.env.PLAYWRIGHT_CORE_DIR ? process.env.PLAYWRIGHT_CORE_DIR + "/" : import.meta.url);
const { chromium } = require("playwright-core");

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const profile = mkdtempSync(join(tmpdir(), "verify-page-chromium-"));
let failed = 0;
const say = (ok, msg) => { console.log((ok ? "ok: " : "FAILED: ") + msg); if (!ok) failed++; };

const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1200, height: 900 },
  bypassCSP: true,          // the page's own policy forbids eval, which playwright's waits use
});
// nothing but the page itself may be requested (file:// or the test's server on 127.0.0.1):
// anything else is refused, and reported below
const requests = [];
await context.route("**/*", route => {
  const u = route.request().url();
  requests.push(u);
  if (u.startsWith("file://") || (spec.serve && u.startsWith(new URL(spec.serve).origin))) return route.continue();
  return route.abort();
});

try {
  const page = context.pages()[0] || await context.newPage();
  const errors = [];
  page.on("pageerror", e => errors.push(String(e)));
  const fileUrl = pathToFileURL(spec.page).href;
  for (const c of spec.cases) {
    const url = (c.url === "served" ? spec.serve : fileUrl) + (c.lang === "zh" ? "" : "?lang=en");
    requests.length = 0;
    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset.state === "ready");
    if (c.via === "publication") {
      await page.setInputFiles("#pub-file", c.publication);
      await page.waitForFunction(() => document.getElementById("pop-name").textContent !== "");
    } else {
      if (c.seed_kind === "text") await page.check("#seed-txt");
      await page.fill("#seed", c.seed);
      await page.selectOption("#alg", c.algorithm);
      await page.fill("#alloc", c.allocation);
      if (c.digest) await page.fill("#digest", c.digest);
      if (c.via === "paste") {
        // as a paste does: the text in at once, then one input event (page.fill inserts a long text
        // as typed input, which takes minutes for a population on a busy machine)
        for (const [box, file] of [["#pop-text", c.population], ["#tgt-text", c.targets]]) {
          if (!file) continue;
          await page.$eval(box, (el, text) => {
            el.focus(); el.value = text; el.dispatchEvent(new Event("input", { bubbles: true }));
          }, readFileSync(file, "utf8"));
        }
      } else if (c.via === "drop") {
        for (const [box, file] of [["#pop-box", c.population], ["#tgt-box", c.targets]]) {
          if (!file) continue;
          const dt = await page.evaluateHandle(([text, name]) => {
            const d = new DataTransfer(); d.items.add(new File([text], name)); return d;
          }, [readFileSync(file, "utf8"), file.split("/").pop()]);
          await page.dispatchEvent(box, "drop", { dataTransfer: dt });
        }
      } else {
        await page.setInputFiles("#pop-file", c.population);
        if (c.targets) await page.setInputFiles("#tgt-file", c.targets);
      }
    }
    await page.click("#run");
    await page.waitForFunction(() => ["same", "different", "computed", "error"].includes(document.body.dataset.state),
                               null, { timeout: 120000 });
    const state = await page.evaluate(() => document.body.dataset.state);
    const r = await page.evaluate(() => window.verifyResult || null);
    const verdict = await page.textContent("#verdict");
    const what = `${c.name} (${c.via}, ${c.url === "served" ? "http" : "file://"})`;
    if (state !== c.expect) { say(false, `${what}: page says ${state}, expected ${c.expect}: ${verdict}`); continue; }
    if (c.expect_targets) {
      const want = readFileSync(c.expect_targets, "utf8").split("\n").filter(x => x.trim() !== "");
      const same = r && r.targets.length === want.length && r.targets.every((x, i) => x === want[i]);
      if (!same) { say(false, `${what}: recomputed targets differ from the extension's (${r ? r.targets.length : 0} vs ${want.length})`); continue; }
    }
    if (c.expect_digest && (!r || r.digest !== c.expect_digest)) { say(false, `${what}: digest ${r && r.digest} is not ${c.expect_digest}`); continue; }
    if (c.expect_diff && !(r && r.diffs.some(d => d.includes(c.expect_diff)))) { say(false, `${what}: no difference naming "${c.expect_diff}" in ${JSON.stringify(r && r.diffs)}`); continue; }
    if (r && r.webcrypto !== "ok") { say(false, `${what}: the WebCrypto check says ${r.webcrypto}`); continue; }
    const foreign = requests.filter(u => !u.startsWith("file://") && !(spec.serve && u.startsWith(new URL(spec.serve).origin)));
    const extra = requests.filter(u => !u.startsWith(url.split("?")[0]));
    if (foreign.length || extra.length) { say(false, `${what}: the page requested ${JSON.stringify(extra)}`); continue; }
    say(true, `${what}: ${state}` + (r ? `, ${r.rows} rows in ${(r.ms / 1000).toFixed(2)} s, ${r.targets.length} targets` : "")
              + (c.expect === "different" ? `: ${r.diffs[0]}` : ""));
    if (c.screenshot && spec.screenshot) {
      await page.setViewportSize({ width: 1200, height: 1500 });
      await page.screenshot({ path: spec.screenshot, fullPage: false });
      await page.setViewportSize({ width: 1200, height: 900 });
      console.log(`screenshot: ${spec.screenshot}`);
    }
  }
  if (errors.length) say(false, "errors in the page: " + errors.join("; "));
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
