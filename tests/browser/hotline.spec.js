// The 12345 closed loop in a real browser: an operator registers a call with a routing suggestion,
// the centre dispatches it from the board, the department signs and answers from its inbox, the centre
// visits back and it closes; a citizen raises a request on the public form and tracks it; a grid member
// reports an event with a photo from a phone and solves it in the grid; a leader reads the rates.
const { test, expect, login } = require("./fixtures");
const path = require("path");
const fs = require("fs");

const shots = process.env.UPDATE_SCREENSHOTS ? path.join(__dirname, "../../docs/screenshots") : path.join(__dirname, "test-results/screens");
fs.mkdirSync(shots, { recursive: true });

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: false });
}

// One transparent pixel.
const png = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082", "hex");

test.describe.configure({ mode: "serial" });

let ticketPath;
let ticketNumber;

test("an operator registers a call and routing suggests the category and department with its reasons", async ({ page }) => {
  await login(page, "operator1");
  await expect(page).toHaveURL(/\/hotline\/intake/);
  await page.getByLabel("诉求内容").fill("和平路晚上工地施工噪音扰民，十一点以后还在打桩，严重影响休息");
  await page.getByRole("button", { name: "智能分类建议" }).click();
  const suggestions = page.locator("#suggestions");
  await expect(suggestions).toContainText("噪音扰民");
  await expect(suggestions).toContainText("生态环境局");
  await expect(suggestions).toContainText("置信度");
  await expect(page.getByLabel("诉求分类")).toHaveValue("HB01");
  await page.getByLabel("噪音来源").selectOption("construction");
  await page.getByLabel("地址").fill("和平路东段");
  await page.getByLabel("纬度").fill("35.23");
  await page.getByLabel("经度").fill("115.42");
  await page.getByLabel("来电人（可匿名）").fill("王女士");
  await page.getByLabel("联系电话").fill("13905301234");
  await shot(page, "hotline-intake");
  await page.getByRole("button", { name: "受理登记" }).click();
  await expect(page.locator(".status")).toContainText("待派单");
  await expect(page.locator(".facts")).toContainText("13905301234");
  ticketPath = new URL(page.url()).pathname;
  ticketNumber = (await page.locator(".crumb").textContent()).split("›")[1].trim();
  expect(ticketNumber).toMatch(/^R371700\d{14}$/);
});

test("the centre dispatches it from the board with the suggestion preselected", async ({ page }) => {
  await login(page, "dispatcher");
  await page.goto("/hotline/dispatch");
  const card = page.locator("section.dispatch", { hasText: ticketNumber });
  await expect(card).toContainText("建议");
  await expect(card.getByLabel("主办单位")).toHaveValue("ecology");
  await card.scrollIntoViewIfNeeded();
  await shot(page, "hotline-dispatch");
  await card.getByRole("button", { name: "派单" }).click();
  await expect(page.locator("section.dispatch", { hasText: ticketNumber })).toHaveCount(0);
});

test("the department signs and answers from its inbox; the requester's phone is shown to it", async ({ page }) => {
  await login(page, "ecology1");
  await page.goto("/inbox");
  const row = page.locator("tr", { hasText: ticketNumber });
  await expect(row).toContainText("签收");
  await row.getByRole("link").click();
  await expect(page.locator(".facts")).toContainText("13905301234");
  await page.getByRole("button", { name: "签收" }).click();
  await expect(page.locator(".status")).toContainText("办理中");
  await page.getByLabel("答复内容").fill("已责令施工单位夜间停止打桩作业，并安排夜间巡查。");
  await page.getByRole("button", { name: "答复" }).click();
  await expect(page.locator(".status")).toContainText("待回访");
  await shot(page, "hotline-ticket");
});

test("a department with no part in the request cannot open it", async ({ page }) => {
  await login(page, "market1");
  const res = await page.goto(ticketPath);
  expect(res.status()).toBe(404);
});

test("the centre visits back, the request closes and anyone can track it by number", async ({ page }) => {
  await login(page, "dispatcher");
  await page.goto("/hotline/visits");
  const card = page.locator("section.visit", { hasText: ticketNumber });
  // The card shows the department's answer and the number to call; nothing is chosen for the caller.
  await expect(card.locator(".answer")).not.toContainText("—");
  await card.getByRole("button", { name: "提交回访" }).click();
  await expect(page.locator("section.visit", { hasText: ticketNumber })).toHaveCount(1);
  await card.getByLabel("是否解决").selectOption("yes");
  await card.getByLabel("满意度").selectOption("5");
  await card.getByRole("button", { name: "提交回访" }).click();
  await expect(page.locator("section.visit", { hasText: ticketNumber })).toHaveCount(0);

  await page.context().clearCookies();
  await page.goto(`/track?number=${ticketNumber}`);
  await expect(page.locator("#progress")).toContainText("已办结");
  await expect(page.locator("#progress")).toContainText("生态环境局");
  await expect(page.locator("#progress")).toContainText("回访");
  await expect(page.locator("#progress .next")).toContainText("已办结");
  await expect(page.locator("body")).not.toContainText("13905301234");
});

test("a citizen raises a request on the public form without an account and tracks it", async ({ page }) => {
  await page.context().clearCookies();
  await page.goto("/request");
  await page.getByLabel("反映类别").selectOption("CG01");
  await page.getByLabel("具体内容").fill("小区门口每天早上有流动摊贩占道经营，孩子上学过不去");
  await page.getByLabel("地点").fill("长江路金地小区门口");
  await page.getByRole("button", { name: "提交" }).click();
  const number = (await page.locator("#created").textContent()).trim();
  expect(number).toMatch(/^R/);
  await shot(page, "public-request");
  await page.getByRole("link", { name: "查看办理进度" }).click();
  await expect(page.locator("#progress")).toContainText("待派单");
  await page.goto("/track?number=R000");
  await expect(page.locator(".error")).toContainText("没有这个编号");
});

test("a grid member reports an event with a photo from a phone and resolves it in the grid", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: "zh-CN" });
  const page = await context.newPage();
  await login(page, "grid1");
  await expect(page).toHaveURL(/\/grid\/report/);
  await page.getByLabel("事件类别").selectOption("CG03");
  await page.getByLabel("哪种设施？").selectOption("manhole");
  await page.getByLabel("情况描述").fill("中华路人行道井盖破损，已设置临时警示");
  await page.getByLabel("现场照片").setInputFiles({ name: "manhole.png", mimeType: "image/png", buffer: png });
  await page.getByLabel("位置").fill("中华路12号");
  await page.getByLabel("纬度").fill("35.22");
  await page.getByLabel("经度").fill("115.42");
  await shot(page, "grid-report-phone");
  await page.getByRole("button", { name: "上报", exact: true }).click();
  await expect(page.locator(".done")).toContainText("事件已上报");
  await expect(page.locator("img.photo")).toBeVisible();
  await page.getByLabel("处置情况").fill("已联系物业更换井盖，现场恢复正常");
  await page.getByRole("button", { name: "网格内办结" }).click();
  await expect(page.locator(".status")).toContainText("待回访");
  await context.close();
});

test("a grid member cannot report outside the grid's boundary", async ({ page }) => {
  await login(page, "grid1");
  await page.getByLabel("事件类别").selectOption("CG03");
  await page.getByLabel("哪种设施？").selectOption("streetlight");
  await page.getByLabel("情况描述").fill("西城街道路灯不亮");
  await page.getByLabel("纬度").fill("35.22");
  await page.getByLabel("经度").fill("115.32");
  await page.getByRole("button", { name: "上报", exact: true }).click();
  await expect(page.locator(".error")).toContainText("不在您负责的网格");
  await expect(page.locator(".error")).not.toContainText(/[a-z]+-\d/);
});

test("a leader reads the rates by department on the dashboard and the supervision list", async ({ page }) => {
  await login(page, "leader");
  await page.goto("/dashboard");
  const rates = page.locator("#stat-rates");
  await expect(rates).toContainText("一次办结率");
  await expect(rates.locator("tbody tr").first()).toBeVisible();
  await expect(rates.locator("svg").first()).toBeVisible();
  await rates.scrollIntoViewIfNeeded();
  await shot(page, "hotline-rates");
  await page.goto("/hotline/supervision");
  await expect(page.getByRole("heading", { name: "督办", exact: true })).toBeVisible();
});
