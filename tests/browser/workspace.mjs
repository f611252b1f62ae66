// The workspace as its people use it, each command one person's visit with
// their own signed-in browser (its cookies kept in <state>): the office
// plans, prepares, announces and sends the conclusion notice; the secretary
// keeps the queue and the minutes on a tablet, watched from a second screen;
// the host extends, concludes and signs; the agency acknowledges and answers.
// Every page seen is checked with axe-core and kept as screenshots for the
// role guides.
//
//   node workspace.mjs <command> <base> <state> <out> [arguments]
//
//   signin <unit> <role> <subject> [organization]
//   plan <host>                          the office puts the head's dialogue in the year's plan
//   prepare <theme> <host> <date>        the office drafts the conference: agenda, secretary, invitations
//   announce <id> <refused-date> <date>  a notice refused for R7.3, then given
//   invite <id>                          agency leaders invited, one accepts; two people registered
//   run <id> <second-state>              the secretary starts, checks in, calls, records; a second
//                                        device (signed in with <second-state>) watches the queue
//   conclude <id>                        the host extends, concludes and signs
//   sign <id>                            the secretary signs
//   end <id>                             the host ends the conference
//   notice <id>                          the office composes and issues the conclusion notice
//   acknowledge <text>                   the agency acknowledges the notice of a petition
//   respond <text> <date> <pdf>          the agency records its written response
//   reports                              the head files the six-month report (R13.1)
import fs from "node:fs";
import { fail, seen, run } from "./common.mjs";

const [command, base, statePath, out, ...rest] = process.argv.slice(2);

async function page(context, where) {
  const page = await context.newPage();
  await page.goto(`${base}${where}`);
  return page;
}

async function signin(context, [unit, role, subject, organization]) {
  const p = await page(context, "/signin");
  await p.getByLabel("Mã đơn vị").fill(unit);
  await p.getByLabel("Vai trò", { exact: true }).selectOption(role);
  await p.getByLabel("Tên đăng nhập").fill(subject);
  if (organization) await p.getByLabel("Mã cơ quan").fill(organization);
  await p.getByRole("button", { name: "Đăng nhập" }).click();
  await p.locator("h1").waitFor();
  return { url: p.url(), heading: await p.locator("h1").innerText() };
}

async function plan(context, [host]) {
  const p = await page(context, "/work");
  await p.getByRole("heading", { name: "Việc của tôi" }).waitFor();
  await seen(p, out, "office-home");
  await p.getByRole("link", { name: "Kế hoạch năm (R11.1)" }).click();
  await p.getByRole("heading", { name: /Kế hoạch tiếp xúc, đối thoại năm/ }).waitFor();
  await p.getByLabel("Người đứng đầu chủ trì").selectOption({ label: host });
  await p.getByLabel("Tháng").selectOption("2");
  await p.getByLabel("Chủ đề dự kiến").fill("Đối thoại định kỳ");
  await p.getByRole("button", { name: "Thêm vào kế hoạch" }).click();
  await p.getByRole("cell", { name: host }).first().waitFor();
  await seen(p, out, "office-plan");
  return { plan: await p.locator("table").first().innerText() };
}

async function prepare(context, [theme, host, date]) {
  const p = await page(context, "/work/conferences/new");
  await p.getByLabel("Chủ đề").fill(theme);
  await p.getByLabel("Người đứng đầu chủ trì").selectOption({ label: host });
  await p.getByLabel("Địa bàn tổ chức").selectOption("11950");
  await p.getByLabel("Địa điểm").fill("Hội trường phường Lam Sơn");
  await p.getByLabel("Ngày tổ chức").fill(date);
  await p.getByLabel("Giờ bắt đầu").fill("09:00");
  await seen(p, out, "office-new-conference");
  await p.getByRole("button", { name: "Tạo dự thảo" }).click();
  await p.waitForURL(/\/work\/conferences\/[0-9a-f-]{36}$/);
  const id = p.url().split("/").pop();
  // R7.2: the agenda from the Front's summary, urgency and who prepares the answer.
  const agenda = p.locator("form[action$='/do/agenda']");
  await agenda.getByLabel("Vấn đề").fill("Bồi thường, tái định cư");
  await agenda.getByLabel("Lĩnh vực").selectOption("FIELD_ECONOMY_AND_SOCIETY");
  await agenda.getByLabel("Mức độ cấp bách").selectOption("URGENCY_URGENT");
  await agenda.getByLabel("Cơ quan chuẩn bị trả lời").selectOption({ label: "Phòng Tài nguyên và Môi trường" });
  await agenda.getByRole("button", { name: "Thêm vào nội dung" }).click();
  await p.getByRole("cell", { name: /Bồi thường, tái định cư/ }).waitFor();
  const secretary = p.locator("form[action$='/do/secretary']");
  await secretary.getByLabel("Tên đăng nhập của thư ký").fill("thuky-323");
  await secretary.getByLabel("Họ và tên thư ký").fill("Nguyễn Thị Thư");
  await secretary.getByRole("button", { name: "Phân công" }).click();
  await p.getByText("Nguyễn Thị Thư (thuky-323)").waitFor();
  await seen(p, out, "office-prepare");
  return { id, text: await p.locator("main").innerText() };
}

async function announce(context, [id, refusedDate, date]) {
  const p = await page(context, `/work/conferences/${id}`);
  const form = p.locator("form[action$='/do/announce']");
  const media = "Báo Hưng Yên số ra ngày thứ Tư";
  await form.getByLabel("Phương tiện thông tin đại chúng").fill(media);
  await form.getByLabel("Ngày đăng thông báo").fill(refusedDate);
  // Checked as it is typed, before it is sent.
  const check = await p.locator("#announce-check").textContent();
  if (!check.includes("R7.3")) fail(`the date is not checked as it is typed: ${check}`);
  const latest = await p.locator("#announce-latest").innerText();
  await form.getByRole("button", { name: "Thông báo hội nghị" }).click();
  await p.locator("#announce-refused").waitFor();
  const refusal = await p.locator("#announce-publication_date-error").textContent();
  if (!refusal.includes("R7.3")) fail(`the refusal is not beside the date with its rule: ${refusal}`);
  const kept = {
    media: await p.getByLabel("Phương tiện thông tin đại chúng").inputValue(),
    date: await p.getByLabel("Ngày đăng thông báo").inputValue(),
  };
  await seen(p, out, "office-announce-refused");
  await p.getByLabel("Ngày đăng thông báo").fill(date);
  await p.getByRole("button", { name: "Thông báo hội nghị" }).click();
  await p.getByText("Đã thông báo", { exact: true }).first().waitFor();
  return { refusal, kept, latest };
}

async function invite(context, [id]) {
  const p = await page(context, `/work/conferences/${id}`);
  // R7.4: the agencies' leaders invited; one answers yes.
  for (const [agency, name] of [
    ["Phòng Tài nguyên và Môi trường", "Trần Văn Tài"],
    ["Phòng Quản lý đô thị", "Lê Thị Đô"],
  ]) {
    const invite = p.locator("form[action$='/do/invite']");
    await invite.getByLabel("Cơ quan được mời").selectOption({ label: agency });
    await invite.getByLabel("Họ và tên người được mời").fill(name);
    await invite.getByLabel("Chức vụ").fill("Trưởng phòng");
    await invite.getByRole("button", { name: "Gửi giấy mời" }).click();
    await p.getByRole("cell", { name: new RegExp(name) }).waitFor();
  }
  await p.getByRole("row", { name: /Trần Văn Tài/ }).getByRole("button", { name: "Nhận lời" }).click();
  await p.getByRole("row", { name: /Trần Văn Tài/ }).getByText("Nhận lời").waitFor();
  const letter = p.getByRole("row", { name: /Trần Văn Tài/ }).getByRole("link", { name: /Giấy mời/ });
  const sent = await p.request.get(base + (await letter.getAttribute("href")));
  if ((await sent.body()).subarray(0, 5).toString() !== "%PDF-") fail("the invitation letter is not a PDF");
  // Two people who came to the office in person.
  for (const [name, topic] of [
    ["Phạm Văn Một", "Tiền bồi thường đất nông nghiệp chưa được chi trả"],
    ["Vũ Thị Hai", "Lấn chiếm vỉa hè trên phố Lam Sơn"],
  ]) {
    const register = p.locator("form[action$='/do/register']");
    await register.getByLabel("Họ và tên").fill(name);
    await register.getByLabel("Nơi cư trú hoặc làm việc").selectOption("11950");
    await register.getByLabel("Nội dung đăng ký phát biểu").fill(topic);
    await register.getByLabel("Lĩnh vực").selectOption("FIELD_ECONOMY_AND_SOCIETY");
    await register.getByRole("button", { name: "Đăng ký" }).click();
    await p.waitForURL(/#register$/);
  }
  await seen(p, out, "office-announced");
  return { text: await p.locator("main").innerText() };
}

/** The queue as a screen shows it now. */
async function queueOf(p) {
  return (await p.locator("#queue").innerText()).replace(/\s+/g, " ");
}

async function runConference(context, [id, secondScreen]) {
  const tablet = await page(context, `/work/conferences/${id}/live`);
  // The second screen is another device, signed in on its own.
  const other = await context.browser().newContext({ locale: "vi-VN", storageState: secondScreen });
  const watching = await page(other, `/work/conferences/${id}/live`);
  await tablet.getByRole("button", { name: "Bắt đầu hội nghị" }).click();
  await tablet.getByText("Đang diễn ra").first().waitFor();
  const opening = tablet.locator("form[action$='/do/opening']");
  await opening.getByLabel("Mục đích").fill("Lắng nghe ý kiến của Nhân dân");
  await opening.getByLabel("Yêu cầu").fill("Dân chủ, thẳng thắn");
  await opening.getByRole("button", { name: "Ghi biên bản khai mạc" }).click();
  await tablet.waitForURL(/#opening$/);
  const receipts = [];
  for (const n of [1, 2]) {
    await tablet.locator("#queue").getByRole("row", { name: new RegExp(`^${n} `) }).getByRole("button", { name: "Có mặt" }).click();
    await tablet.waitForURL(/#queue$/);
    await tablet.locator("#queue").getByRole("button", { name: "Mời người tiếp theo phát biểu" }).click();
    await tablet.locator("#queue .now").getByText(`#${n}`).waitFor();
    // The second screen shows the same call without anyone touching it.
    await watching.locator("#queue .now").getByText(`#${n}`).waitFor({ timeout: 10000 });
    if (n === 1) {
      await seen(tablet, out, "secretary-queue", { tablet: true });
      await seen(watching, out, "secretary-second-screen");
    }
    const petition = tablet.locator("form[action$='/do/petition']");
    const text = n === 1 ? "Đề nghị chi trả tiền bồi thường đất nông nghiệp" : "Đề nghị xử lý lấn chiếm vỉa hè phố Lam Sơn";
    await petition.getByLabel("Người nêu ý kiến").selectOption({ index: n });
    await petition.getByLabel("Nội dung ý kiến, kiến nghị").fill(text);
    await petition.getByLabel("Lĩnh vực").selectOption(n === 1 ? "FIELD_ECONOMY_AND_SOCIETY" : "FIELD_GOVERNMENT_BUILDING");
    await petition.getByLabel("Phân loại").selectOption("CLASSIFICATION_PETITION");
    await petition.getByRole("button", { name: "Ghi ý kiến" }).click();
    const row = tablet.getByRole("row", { name: new RegExp(text) });
    const receipt = (await row.locator("td.receipt code").innerText()).trim();
    receipts.push(receipt);
    // The receipt printed for the citizen.
    const printed = await tablet.request.get(base + (await row.getByRole("link", { name: /In phiếu/ }).getAttribute("href")));
    if ((await printed.body()).subarray(0, 5).toString() !== "%PDF-") fail(`the receipt of ${receipt} is not a PDF`);
    await tablet.locator("#queue").getByRole("button", { name: "Đã phát biểu" }).click();
    await tablet.waitForURL(/#queue$/);
  }
  await seen(tablet, out, "secretary-petitions", { tablet: true });
  // The second screen catches up with the last "spoke" within a few seconds.
  const queue = await queueOf(tablet);
  const caughtUp = Date.now() + 10000;
  while ((await queueOf(watching)) !== queue && Date.now() < caughtUp) await watching.waitForTimeout(250);
  return { receipts, watched: await queueOf(watching), queue };
}

async function conclude(context, [id]) {
  const p = await page(context, `/work/conferences/${id}/live`);
  const extend = p.locator("form[action$='/do/extend']");
  await extend.getByLabel("Kéo dài thêm (phút)").fill("30");
  await extend.getByRole("button", { name: "Kéo dài" }).click();
  await p.getByText("30 phút kéo dài").waitFor();
  const conclusion = p.locator("form[action$='/do/conclusion']");
  await conclusion.getByLabel("Kết luận của người chủ trì").fill("Giao các phòng chuyên môn giải quyết dứt điểm trong tháng 3");
  await conclusion.getByRole("button", { name: "Ghi kết luận" }).click();
  await p.getByRole("button", { name: "Ký biên bản" }).click();
  await p.waitForURL(/#conclusion$/);
  await seen(p, out, "host-conclusion");
  return { text: await p.locator("main").innerText() };
}

async function sign(context, [id]) {
  const p = await page(context, `/work/conferences/${id}/live`);
  await p.getByRole("button", { name: "Ký biên bản" }).click();
  await p.waitForURL(/#conclusion$/);
  return { text: await p.locator("#conclusion").locator("..").innerText() };
}

async function end(context, [id]) {
  const p = await page(context, `/work/conferences/${id}/live`);
  await p.getByRole("button", { name: "Kết thúc hội nghị" }).click();
  await p.getByText("Đã kết thúc").first().waitFor();
  await seen(p, out, "host-ended");
  return {};
}

async function notice(context, [id]) {
  // R10.1: the lessons learned, added to the signed minutes; the full minutes printed.
  const live = await page(context, `/work/conferences/${id}/live`);
  const entry = live.locator("form[action$='/do/entry']");
  await entry.getByLabel("Loại").selectOption("REVIEW_NOTE");
  await entry.getByLabel("Nội dung").fill("Cần chuẩn bị kỹ hồ sơ bồi thường trước hội nghị");
  await entry.getByRole("button", { name: "Ghi vào biên bản" }).click();
  await live.locator("#entries").locator("..").getByText("Cần chuẩn bị kỹ hồ sơ bồi thường").waitFor();
  const full = await live.request.get(base + (await live.getByRole("link", { name: /Biên bản đầy đủ/ }).getAttribute("href")));
  if ((await full.body()).subarray(0, 5).toString() !== "%PDF-") fail("the full minutes are not a PDF");
  const p = await page(context, `/work/conferences/${id}/notice`);
  const selects = p.locator("td.assign select");
  await selects.nth(0).selectOption({ label: "Phòng Tài nguyên và Môi trường" });
  const missing = await p.locator("#notice-missing").textContent();
  if (!missing.includes("1")) fail(`the missing petition is not counted as it is composed: ${missing}`);
  await p.getByLabel("Số thông báo").fill("25-TB/TU");
  await p.getByLabel("Người ký").fill("Chánh Văn phòng Thành ủy");
  await p.getByRole("button", { name: "Ban hành thông báo kết luận" }).click();
  await p.locator("#notice-refused").waitFor();
  const refusal = await p.locator("#notice-refused").innerText();
  const kept = {
    number: await p.getByLabel("Số thông báo").inputValue(),
    first: await selects.nth(0).inputValue(),
  };
  await seen(p, out, "office-notice-refused");
  await selects.nth(1).selectOption({ label: "Phòng Quản lý đô thị" });
  await p.getByRole("button", { name: "Ban hành thông báo kết luận" }).click();
  await p.getByRole("heading", { name: /Đã ban hành thông báo số 25-TB\/TU/ }).waitFor();
  await seen(p, out, "office-notice");
  const printed = await p.request.get(base + (await p.getByRole("link", { name: /In thông báo/ }).getAttribute("href")));
  if ((await printed.body()).subarray(0, 5).toString() !== "%PDF-") fail("the printed notice is not a PDF");
  return { refusal, kept };
}

async function openFromInbox(context, text) {
  const p = await page(context, "/work/inbox");
  await p.getByRole("heading", { name: "Kiến nghị được giao" }).waitFor();
  const inbox = await p.locator("main").innerText();
  await p.getByRole("link", { name: text }).click();
  await p.waitForURL(/\/work\/petitions\//);
  return { p, inbox };
}

async function acknowledge(context, [text]) {
  const { p, inbox } = await openFromInbox(context, text);
  await seen(p, out, "agency-petition");
  await p.getByRole("button", { name: "Xác nhận đã nhận" }).click();
  await p.waitForURL(/\/work\/petitions\/[0-9a-f-]{36}$/);
  return { inbox, text: await p.locator("main").innerText() };
}

async function respond(context, [text, date, pdf]) {
  const { p, inbox } = await openFromInbox(context, text);
  await seen(p, out, "agency-inbox-petition");
  const form = p.locator("form[action$='/response']");
  await form.getByLabel("Số văn bản").fill("56/CV");
  await form.getByLabel("Ngày văn bản").fill(date);
  await form.getByLabel("Kết quả").selectOption("OUTCOME_RESOLVED");
  await form.getByLabel("Tóm tắt nội dung trả lời").fill("Đã giải quyết và trả lời công dân");
  await form.getByLabel(/Đã báo cáo Bí thư/).check();
  await form.getByLabel(/Văn bản đã ký/).setInputFiles(pdf);
  await form.getByRole("button", { name: "Ghi văn bản trả lời" }).click();
  await p.getByText("Đã trả lời bằng văn bản").waitFor();
  const link = p.getByRole("link", { name: /\.pdf$/ });
  const kept = await p.request.get(base + (await link.getAttribute("href")));
  const same = Buffer.compare(await kept.body(), fs.readFileSync(pdf)) === 0;
  await seen(p, out, "agency-responded");
  return { inbox, same, text: await p.locator("main").innerText() };
}

async function reports(context) {
  const p = await page(context, "/work/reports");
  await p.getByRole("heading", { name: /Báo cáo kết quả/ }).waitFor();
  await seen(p, out, "host-reports");
  // The head files their own six-month report.
  const half = p.getByRole("row", { name: /Báo cáo 6 tháng/ });
  await half.getByRole("button", { name: "Nộp báo cáo" }).click();
  await p.getByRole("row", { name: /Báo cáo 6 tháng/ }).getByText("Đúng hạn").waitFor();
  const home = await page(context, "/work");
  await seen(home, out, "host-home");
  return { text: await p.locator("main").innerText(), home: await home.locator("main").innerText() };
}

const commands = {
  signin,
  plan,
  prepare,
  announce,
  invite,
  run: runConference,
  conclude,
  sign,
  end,
  notice,
  acknowledge,
  respond,
  reports,
};
if (!commands[command]) fail(`no such command: ${command}`);
await run(commands, command, rest, statePath, out);
