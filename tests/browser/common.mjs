// What every browser visit of the tests shares: Debian's chromium, the
// accessibility check (axe-core, WCAG 2 A and AA) of every page seen, and its
// screenshots at a desktop's, a tablet's and a phone's width.
import { chromium } from "playwright-core";
import { fileURLToPath } from "node:url";
import path from "node:path";
import fs from "node:fs";

const here = path.dirname(fileURLToPath(import.meta.url));
const axeSource = path.join(here, "node_modules/axe-core/axe.min.js");

export function fail(message) {
  throw new Error(message);
}

export async function accessible(page, name) {
  await page.addScriptTag({ path: axeSource });
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
  );
  if (result.violations.length > 0) {
    const found = result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    fail(`${name} fails the accessibility check:\n  ${found.join("\n  ")}`);
  }
}

/** A page seen: checked, and kept as a screenshot at a desktop's and a phone's width (and a tablet's, when asked). */
export async function seen(page, out, name, { tablet = false } = {}) {
  await accessible(page, name);
  fs.mkdirSync(out, { recursive: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: path.join(out, `${name}.png`), fullPage: true });
  if (tablet) {
    await page.setViewportSize({ width: 820, height: 1180 });
    await page.screenshot({ path: path.join(out, `${name}-tablet.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(out, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
}

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/**
 * Runs one command of a script: `commands[name](context, args)` in a fresh
 * browser, with the cookies of `statePath` kept from one visit to the next
 * when one is given, and prints what it returns as one JSON line.
 */
export async function run(commands, name, args, statePath, out) {
  const browser = await launch();
  try {
    const state = statePath && fs.existsSync(statePath) ? { storageState: statePath } : {};
    const context = await browser.newContext({ locale: "vi-VN", acceptDownloads: true, ...state });
    const result = await commands[name](context, args);
    if (statePath) await context.storageState({ path: statePath });
    console.log(JSON.stringify(result ?? {}));
  } catch (error) {
    console.error(error.message);
    // What each open page showed when it failed, to see why.
    for (const [n, page] of (browser.contexts()[0]?.pages() ?? []).entries()) {
      console.error(`page ${n} at ${page.url()}:\n${await page.locator("main").innerText().catch(() => "")}`);
      if (out) await page.screenshot({ path: path.join(out, `failed-${name}-${n}.png`), fullPage: true }).catch(() => {});
    }
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}
