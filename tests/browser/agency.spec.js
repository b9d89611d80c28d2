// 帮办代办 in a real browser: the agent works from their desk (next procedures of their project,
// cases in progress) and applies for the enterprise within the agreement, the case saying "by agent X
// for enterprise Y"; outside the agreement they are told why; the enterprise sees every step its agent
// took; the agency centre records an agreement and is told what is wrong.
const { test, expect, login } = require("./fixtures");
const path = require("path");
const fs = require("fs");

const shots = process.env.UPDATE_SCREENSHOTS ? path.join(__dirname, "../../docs/screenshots") : path.join(__dirname, "test-results/screens");
fs.mkdirSync(shots, { recursive: true });

function pdf(name) {
  return { name, mimeType: "application/pdf", buffer: Buffer.from(`%PDF-1.4\n% ${name}\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n`) };
}

test.describe.configure({ mode: "serial" });

test("the agent's desk shows the project's next procedures and applies for the enterprise", async ({ page }) => {
  await login(page, "agent1");
  await expect(page.locator("h1")).toHaveText("代办工作台");
  // The project's next procedure with its date, the case the agent filed, the enterprise they act for.
  await expect(page.locator("main")).toContainText("云帆智能制造产业园一期");
  await expect(page.locator("main")).toContainText("建设工程规划许可证核发");
  await expect(page.locator("main")).toContainText("菏泽云帆科技有限公司");
  await page.screenshot({ path: path.join(shots, "agent-desk.png"), fullPage: true });
  await page.getByRole("link", { name: "发票领用" }).click();
  await expect(page.locator("p.done")).toContainText("以代办员身份代");
  await expect(page.locator("p.done")).toContainText("菏泽云帆科技有限公司");
  await page.getByLabel(/发票领用申请表/).setInputFiles(pdf("invoice-form.pdf"));
  await page.getByLabel(/经办人身份证件/).setInputFiles(pdf("agent-id.pdf"));
  await page.getByRole("button", { name: "提交申请" }).click();
  await expect(page.locator(".status")).toContainText("待受理");
  // The case records who acted and for whom.
  await expect(page.locator(".timeline").first()).toContainText("王帮办");
  await expect(page.locator(".timeline").first()).toContainText("代 菏泽云帆科技有限公司");
  await expect(page.locator(".timeline").first()).toContainText("代办协议 DB-");
});

test("outside the agreement the agent is refused and told why", async ({ page }) => {
  await login(page, "agent1");
  await page.goto("/apply/item/SCJG-002?for=91371700MA3C5X1B29");
  await expect(page.locator("main")).toContainText("不在您与菏泽云帆科技有限公司的代办协议范围内");
  // An enterprise it has no agreement with.
  await page.goto("/apply/item/SW-001?for=91370000163044211A");
  await expect(page.locator("main")).toContainText("没有签订代办协议");
});

test("the enterprise sees its agreement and every step its agent took", async ({ page }) => {
  await login(page, "yunfan");
  await page.getByRole("link", { name: "帮办代办" }).click();
  await expect(page.locator("ul.agreements")).toContainText("王帮办");
  const steps = page.locator("section.card").filter({ hasText: "代办员为本企业办理的每一步" });
  await expect(steps).toContainText("建设工程规划许可证核发");
  await expect(steps).toContainText("发票领用");
  await page.screenshot({ path: path.join(shots, "agency-enterprise.png"), fullPage: true });
  await page.locator("ul.agreements").getByRole("link").first().click();
  await expect(page.locator("h1")).toContainText("代办协议");
  await expect(page.locator("main")).toContainText("云帆智能制造产业园一期");
});

test("the agency centre records an agreement, told every mistake at once", async ({ page }) => {
  await login(page, "approval1");
  await page.getByRole("link", { name: "帮办代办" }).click();
  await page.getByLabel("企业统一社会信用代码").fill("9137");
  await page.getByLabel("企业名称").fill("菏泽云帆科技有限公司");
  await page.getByLabel("代办员用户名").fill("agent1");
  await page.getByLabel(/代办事项编码/).fill("GA-001");
  await page.getByRole("button", { name: "登记协议" }).click();
  await expect(page.locator("#enterprise_id-error")).toBeVisible();
  await page.getByLabel("企业统一社会信用代码").fill("91371700MA3C5X1B29");
  await page.getByLabel(/代办事项编码/).fill("");
  await page.getByRole("button", { name: "登记协议" }).click();
  await expect(page.locator("p.error")).toContainText("代办范围");
  await page.getByLabel(/代办事项编码/).fill("GA-001");
  await page.getByLabel(/协议扫描件/).setInputFiles(pdf("agreement.pdf"));
  await page.getByRole("button", { name: "登记协议" }).click();
  await expect(page.locator("p.done[role=status]")).toContainText("代办协议已登记");
  await expect(page.getByRole("link", { name: "查看扫描件" })).toBeVisible();
  await page.screenshot({ path: path.join(shots, "agreement.png"), fullPage: true });
});
