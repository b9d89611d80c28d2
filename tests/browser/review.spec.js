// 云会商, 云勘验 and a problem whistled, in a real browser: the planning bureau reads the joint review's
// minutes and the inspection's evidence on the case; a housing reviewer convenes a meeting and is told
// what is wrong first; the inspection form refuses a place out of range; the steward whistles a
// project problem to the departments named. On a phone for the inspector.
const { test, expect, login } = require("./fixtures");
const path = require("path");
const fs = require("fs");

const shots = process.env.UPDATE_SCREENSHOTS ? path.join(__dirname, "../../docs/screenshots") : path.join(__dirname, "test-results/screens");
fs.mkdirSync(shots, { recursive: true });

async function planningCase(page) {
  await page.goto("/projects");
  await page.getByRole("link", { name: "云帆智能制造产业园一期" }).click();
  await page.locator("section.stage").nth(1).getByRole("link", { name: "查看办件" }).first().click();
  await expect(page.locator("h1")).toContainText("建设工程规划许可证核发");
}

test("the joint review's minutes and the inspection's evidence are on the case", async ({ page }) => {
  await login(page, "nature1");
  await planningCase(page);
  const review = page.locator("#review");
  await expect(review).toContainText("规划方案联合审查");
  await expect(review).toContainText("消防通道宽度调整为4米后同意");
  await expect(review).toContainText("云勘验第1次");
  await expect(review).toContainText("现场与规划方案一致");
  await expect(review.getByRole("link", { name: "进入线上会议" })).toHaveAttribute("href", /^https:\/\//);
  await expect(page.locator(".timeline").first()).toContainText("云会商纪要");
  await review.screenshot({ path: path.join(shots, "case-review.png") });
});

test("the inspector records evidence from a phone and is told what is wrong", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await login(page, "nature1");
  await planningCase(page);
  const form = page.locator("#inspection-form");
  const png = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f8cfc0f01f000500" + "01ff89993d1d0000000049454e44ae426082", "hex");
  await form.getByLabel(/现场照片或短视频/).setInputFiles({ name: "site.png", mimeType: "image/png", buffer: png });
  await form.getByLabel("拍摄时间").fill("2026-01-01T09:00");
  await form.getByLabel("拍摄地点纬度").fill("135.2");
  await form.getByLabel("拍摄地点经度").fill("115.47");
  await form.getByLabel("勘验项目 1").fill("围挡完好");
  await form.getByLabel("勘验结论").fill("符合要求");
  await form.getByRole("button", { name: "保存勘验记录" }).click();
  await expect(page.locator("p.error, .error").first()).toContainText("拍摄时间");
  await page.screenshot({ path: path.join(shots, "inspection-phone.png"), fullPage: false });
});

test("a reviewer convenes a joint review and is told the invited departments are told", async ({ page }) => {
  await login(page, "nature1");
  await planningCase(page);
  const form = page.locator("#convene-form");
  await form.getByLabel("会商议题").fill("施工图与规划的一致性");
  await form.getByLabel(/邀请部门/).selectOption(["housing"]);
  await form.getByLabel("会商时间").fill("2027-01-05T10:00");
  await form.getByRole("button", { name: /发起会商/ }).click();
  await expect(page.locator("p.done, [role=status]").first()).toContainText("云会商已发起");
  await expect(page.locator("#review")).toContainText("施工图与规划的一致性");
});

test("the enterprise whistles a project's problem to the departments named", async ({ page }) => {
  await login(page, "yunfan");
  await page.goto("/projects");
  await page.getByRole("link", { name: "云帆智能制造产业园一期" }).click();
  // The demo's problem went to the power company already: its request number stands beside it.
  await expect(page.locator("main")).toContainText("施工临时用电尚未接入");
  await expect(page.locator("main")).toContainText("已吹哨，诉求");
  const due = new Date(Date.now() + 7 * 86400000).toISOString().slice(0, 10);
  const title = `供水管网接入方案迟迟未定（${Date.now() % 100000}）`;
  await page.getByLabel("问题", { exact: true }).fill(title);
  await page.getByLabel("责任人", { exact: true }).fill("孙晓梅");
  await page.getByLabel("办结期限").fill(due);
  await page.getByRole("button", { name: "登记问题" }).click();
  const row = page.locator("tr").filter({ hasText: title });
  await row.getByLabel(/企业吹哨/).selectOption(["water"]);
  await row.getByRole("button", { name: "吹哨" }).click();
  await expect(page.locator("p.done[role=status]")).toContainText("已“企业吹哨”");
  await expect(page.locator("tr").filter({ hasText: title })).toContainText("水务集团");
});

test("the board shows the average inspection time and the joint reviews", async ({ page }) => {
  await login(page, "leader");
  await page.goto("/projects/board");
  await expect(page.locator("#review-figures")).toContainText("平均勘验用时");
  await expect(page.locator("#review-figures")).toContainText("小时");
});
