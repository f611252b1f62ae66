// The web as people use it, in Debian's chromium driven by playwright-core:
// each command plays one person's visit, checks every page it sees with
// axe-core (WCAG 2 A and AA), keeps screenshots, and prints what it found as
// one JSON line for the Rust test that runs it.
//
//   node web.mjs register <base> <theme> <unit> <out>   a citizen registers to speak
//   node web.mjs lookup <base> <code> <agency> <out>    the citizen looks the petition up
//   node web.mjs inspect <base> <unit> <agency> <petition> <out>   an inspector signs in
//   node web.mjs provider-signin <base> <state> <login> <out>  signs in at the identity provider
//   node web.mjs visit <base> <state> <path> <out>     opens a page in that session
// <state> is a file that keeps the browser's cookies from one visit to the next.
import path from "node:path";
import fs from "node:fs";
import { fail, seen, run } from "./common.mjs";

const [command, base, ...rest] = process.argv.slice(2);

async function register(page, [theme, unit, out]) {
  await page.goto(`${base}/`);
  await seen(page, out, "home");
  await page.getByRole("link", { name: theme }).first().click();
  await page.waitForURL(/\/conferences\//);
  await seen(page, out, "conference");
  const ical = await page.request.get(base + (await page.getByRole("link", { name: /iCal/ }).getAttribute("href")));
  if (!(await ical.text()).includes("BEGIN:VEVENT")) fail("the iCal link gives no event");
  await page.getByRole("link", { name: "Đăng ký tham dự và phát biểu" }).click();
  await page.getByLabel("Họ và tên").fill("Trần Văn Công Dân");
  await page.getByLabel("Nơi cư trú hoặc làm việc (R2.3)").selectOption(unit);
  await page.getByLabel("Số điện thoại").fill("0912345678");
  await page.getByLabel("Nội dung muốn phát biểu").fill("Đền bù đất nông nghiệp chưa thỏa đáng");
  // No field for the topic: refused next to the field, with what was typed kept.
  await page.waitForTimeout(2500);
  await page.getByRole("button", { name: "Gửi đăng ký" }).click();
  const fieldError = await page.locator("#field-error").textContent();
  if (!fieldError.includes("R5.1")) fail(`the missing field is not explained with its rule: ${fieldError}`);
  if ((await page.getByLabel("Họ và tên").inputValue()) !== "Trần Văn Công Dân") fail("the typed name was lost");
  if ((await page.getByLabel("Nội dung muốn phát biểu").inputValue()) !== "Đền bù đất nông nghiệp chưa thỏa đáng")
    fail("the typed topic was lost");
  await seen(page, out, "register-refused");
  await page.getByLabel("Lĩnh vực (R5.1)").selectOption("FIELD_ECONOMY_AND_SOCIETY");
  await page.waitForTimeout(2500);
  await page.getByRole("button", { name: "Gửi đăng ký" }).click();
  await page.getByRole("heading", { name: "Đã đăng ký" }).waitFor();
  await seen(page, out, "registered");
  const code = (await page.locator(".code").textContent()).trim();
  const position = (await page.locator(".notice strong").textContent()).trim();
  return { code, position: Number(position) };
}

async function lookup(page, [code, agency, out]) {
  await page.goto(`${base}/petitions`);
  await seen(page, out, "lookup");
  // A code that names nothing: the same page for every such code.
  await page.getByLabel("Mã tra cứu ghi trên phiếu tiếp nhận").fill("00000-00000");
  await page.getByRole("button", { name: "Tra cứu" }).click();
  const unknown = await page.locator("#code-error").textContent();
  if (!unknown.includes("Không tìm thấy")) fail(`an unknown code: ${unknown}`);
  await page.getByLabel("Mã tra cứu ghi trên phiếu tiếp nhận").fill(code.toLowerCase());
  await page.getByRole("button", { name: "Tra cứu" }).click();
  await page.getByRole("heading", { name: /Kiến nghị/ }).first().waitFor();
  const text = await page.locator("main").innerText();
  for (const expected of [agency, "Chậm nhất ngày", "Đã giao cơ quan giải quyết"]) {
    if (!text.includes(expected)) fail(`the status page lacks ${expected}:\n${text}`);
  }
  if (text.includes("Trần Văn Công Dân") || text.includes("0912345678")) fail("the status page shows personal data");
  await seen(page, out, "petition");
  // The conference it came from now publishes its signed minutes and its notice.
  await page.locator("main dd a").first().click();
  await page.waitForURL(/\/conferences\//);
  await seen(page, out, "conference-held");
  for (const name of ["Biên bản hội nghị (bản công khai, PDF)", "Thông báo kết luận (PDF)"]) {
    const href = await page.getByRole("link", { name }).getAttribute("href");
    const document = await page.request.get(base + href);
    const head = (await document.body()).subarray(0, 5).toString();
    if (document.headers()["content-type"] !== "application/pdf" || head !== "%PDF-") fail(`${name} is not a PDF`);
  }
  const json = await (await page.request.get(`${base}/open311/v2/requests/${code}.json`)).json();
  return { status: text.match(/Chậm nhất ngày ([^\n(]*)/)?.[1]?.trim(), open311: json[0] };
}

async function inspect(page, [unit, agency, petition, out]) {
  await page.goto(`${base}/signin`);
  await seen(page, out, "signin");
  await page.getByLabel("Mã đơn vị").fill(unit);
  await page.getByLabel("Vai trò", { exact: true }).selectOption("MONITOR");
  await page.getByLabel("Tên đăng nhập").fill(`kiemtra-${unit}`);
  await page.getByRole("button", { name: "Đăng nhập" }).click();
  await page.waitForURL(new RegExp(`/oversight/${unit}`));
  await page.getByRole("heading", { name: /Giám sát việc thực hiện/ }).waitFor();
  await seen(page, out, "oversight");
  const board = await page.locator("main").innerText();
  await page.getByRole("link", { name: agency }).click();
  await page.getByRole("heading", { name: new RegExp(agency) }).waitFor();
  const overdue = await page.locator("main").innerText();
  if (!overdue.includes(petition)) fail(`the agency's overdue list lacks the petition:\n${overdue}`);
  await seen(page, out, "agency-overdue");
  await page.goto(`${base}/oversight/${unit}/heads`);
  await seen(page, out, "heads");
  await page.goto(`${base}/oversight/${unit}/report?from=2026-01-01&to=2026-06-30`);
  await seen(page, out, "report");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Tải PDF" }).click(),
  ]);
  const file = path.join(out, "report.pdf");
  await download.saveAs(file);
  const head = fs.readFileSync(file).subarray(0, 5).toString();
  if (head !== "%PDF-") fail(`the report download is not a PDF: ${head}`);
  // Signed out, the dashboards send to the sign-in page.
  await page.getByRole("button", { name: /Đăng xuất/ }).click();
  await page.goto(`${base}/oversight/${unit}`);
  if (!page.url().endsWith("/signin")) fail(`signed out, the dashboard is at ${page.url()}`);
  return { board, overdue, pdfBytes: fs.statSync(file).size };
}

/** Signs in with the province's account at the identity provider (its development pages). */
async function providerSignIn(page, [, login, out]) {
  await page.goto(`${base}/signin`);
  await page.getByRole("link", { name: "Đăng nhập bằng tài khoản của tỉnh" }).click();
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("any password");
  await page.locator('button[type="submit"]').click();
  await page.waitForLoadState();
  // The provider asks once for consent to give the web a token for the services.
  if (!page.url().startsWith(base)) await page.locator('button[type="submit"]').click();
  await page.waitForURL((url) => url.href.startsWith(base));
  await page.locator("h1").waitFor();
  const name = `provider-signin-${login}`;
  await seen(page, out, name);
  return {
    url: page.url(),
    heading: await page.locator("h1").innerText(),
    text: await page.locator("main").innerText(),
    page: await page.locator("body").innerText(),
  };
}

/** Opens a page in a kept session, and says where it landed. */
async function visit(page, [, where, out]) {
  await page.goto(`${base}${where}`);
  await page.locator("h1").waitFor();
  const landed = new URL(page.url());
  if (landed.pathname === "/signin") await seen(page, out, "signin-ended");
  return { url: page.url(), heading: await page.locator("h1").innerText(), text: await page.locator("main").innerText() };
}

const commands = { register, lookup, inspect, "provider-signin": providerSignIn, visit };
/** The commands that keep the browser's cookies in a file, its name their first argument. */
const kept = ["provider-signin", "visit"];
const onPage = Object.fromEntries(
  Object.entries(commands).map(([name, command]) => [name, async (context, args) => command(await context.newPage(), args)]),
);
await run(onPage, command, rest, kept.includes(command) ? rest[0] : undefined);
