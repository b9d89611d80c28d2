// Major projects: the enterprise follows its project stage by stage and applies for the next procedure
// from it; the steward records a project and is told what is wrong; anyone reads the flowchart behind
// the QR code on a phone (码上流程图).
const { test, expect, login } = require("./fixtures");
const path = require("path");

const shots = process.env.UPDATE_SCREENSHOTS ? path.join(__dirname, "../../docs/screenshots") : path.join(__dirname, "test-results/screens");

test("the enterprise follows its project and applies for the next procedure from it", async ({ page }) => {
  await login(page, "yunfan");
  await page.getByRole("link", { name: "我的项目" }).click();
  await page.getByRole("link", { name: "云帆智能制造产业园一期" }).click();
  await expect(page.locator("h1")).toHaveText("云帆智能制造产业园一期");
  // Stage one done with its days; stage two running, one procedure in review, the next to apply for.
  await expect(page.locator("section.stage").nth(0)).toContainText("已完成");
  await expect(page.locator("section.stage").nth(1)).toContainText("进行中");
  await expect(page.locator("section.stage").nth(1)).toContainText("办理中");
  // The ledger: who answers for the late permit, the team, the visit.
  await expect(page.locator("section.stage").nth(1)).toContainText("超期");
  await expect(page.locator("section.stage").nth(1)).toContainText("周海涛");
  await expect(page.locator("main")).toContainText("包保领导");
  await expect(page.locator("main")).toContainText("希望设计方案审查与规划许可并联推进");
  await page.screenshot({ path: path.join(shots, "project.png"), fullPage: true });
  await page.locator("section.stage").nth(1).getByRole("link", { name: "申请" }).click();
  await expect(page.locator("p.done")).toContainText("为重大项目申请");
  await expect(page.locator("h1")).toContainText("建设工程消防设计审查");
});

test("a project that reached 拿地即开工 shows its permits formal on the day of the land", async ({ page }) => {
  await login(page, "yunfan");
  await page.goto("/projects");
  await page.getByRole("link", { name: "云帆冷链物流中心" }).click();
  await expect(page.locator("main")).toContainText("拿地至开工 0 天");
  await expect(page.locator("section.stage").nth(2)).toContainText("已完成");
  await expect(page.locator("section.stage").nth(2)).toContainText("已办结（准予）");
});

test("the steward records a project, told every mistake at once, and its plan follows the type", async ({ page }) => {
  await login(page, "approval1");
  await page.getByRole("link", { name: "重大项目" }).click();
  await page.getByLabel("项目代码").fill("2026-371");
  await page.getByLabel("项目名称").fill("演示物流园");
  await page.getByLabel("建设单位统一社会信用代码").fill("91371700MA3C5X1B29");
  await page.getByLabel("建设单位名称").fill("菏泽云帆科技有限公司");
  await page.getByLabel("项目地址").fill("菏泽高新区黄河路");
  await page.getByLabel("总投资（万元）").fill("5000");
  await page.getByRole("button", { name: "登记并生成审批计划" }).click();
  await expect(page.locator("#code-error")).toContainText("项目代码格式");
  await page.getByLabel("项目代码").fill("2026-371700-59-01-000901");
  await page.getByRole("button", { name: "登记并生成审批计划" }).click();
  await expect(page.locator("p.done[role=status]")).toContainText("审批计划已按项目类型生成");
  await expect(page.locator("section.stage")).toHaveCount(4);
  await expect(page.locator("main")).toContainText("建设用地规划许可证核发");
});

test("anyone reads a project's flowchart on a phone, without logging in", async ({ page }) => {
  await login(page, "yunfan");
  await page.goto("/projects");
  await page.getByRole("link", { name: "云帆智能制造产业园一期" }).click();
  const flow = await page.getByRole("link", { name: /码上流程图/ }).getAttribute("href");
  await page.context().clearCookies();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(flow);
  await expect(page.locator("h1")).toHaveText("云帆智能制造产业园一期");
  await expect(page.locator(".steps")).toContainText("建设工程规划许可证核发");
  await expect(page.locator(".qr svg")).toBeVisible();
  await page.screenshot({ path: path.join(shots, "project-flow-phone.png"), fullPage: true });
});

test("a leader sees every project on the board, the late one first", async ({ page }) => {
  await login(page, "leader");
  await page.getByRole("link", { name: "重大项目" }).click();
  await page.getByRole("link", { name: /重大项目调度/ }).click();
  await expect(page.locator("h1")).toHaveText("重大项目调度");
  await expect(page.locator("tbody tr").first()).toContainText("云帆智能制造产业园一期");
  await expect(page.locator("tbody tr").first()).toHaveClass(/overdue/);
  await expect(page.locator("svg.bars").first()).toBeVisible();
  await page.screenshot({ path: path.join(shots, "project-board.png"), fullPage: true });
  await page.locator("tbody tr").first().getByRole("link").first().click();
  await expect(page.locator("h1")).toHaveText("云帆智能制造产业园一期");
});
