// Electronic certificates: the holder's 我的证照 with the use log, and the public check behind the QR
// code (genuine, status, the holder masked), in Chinese, English and on a phone; data instead of papers:
// an application whose materials all come from certificates is decided as it is submitted (秒批), and its
// record waits in 我的档案 with the decision letter.
const { test, expect, login } = require("./fixtures");
const path = require("path");

const shots = process.env.UPDATE_SCREENSHOTS ? path.join(__dirname, "../../docs/screenshots") : path.join(__dirname, "test-results/screens");

test("an enterprise finds its licences and the public check says they are genuine", async ({ page }) => {
  await login(page, "yunfan");
  await page.getByRole("link", { name: "我的证照" }).click();
  await expect(page.locator("h1")).toHaveText("我的证照");
  await expect(page.locator("table")).toContainText("营业执照");
  await expect(page.locator("table")).toContainText("食品经营许可证");
  await page.getByRole("link", { name: "营业执照" }).click();
  await expect(page.locator(".facts")).toContainText("注册资本");
  // The PDF with its seal data and QR code.
  const pdf = await page.request.get(await page.getByRole("link", { name: /下载 PDF/ }).getAttribute("href"));
  expect(pdf.headers()["content-type"]).toBe("application/pdf");
  expect((await pdf.body()).subarray(0, 5).toString()).toBe("%PDF-");
  await expect(page.locator("table")).toContainText("签发");
  await page.screenshot({ path: path.join(shots, "certificate.png"), fullPage: true });
  await page.getByRole("link", { name: "公开核验页" }).click();
  await expect(page.locator("p.done[role=status]")).toContainText("真实有效");
  await expect(page.locator(".facts")).toContainText("菏泽云帆科技有限公司");
  await page.goto("/prefs?lang=en&back=" + encodeURIComponent(new URL(page.url()).pathname));
  await expect(page.locator("p.done[role=status]")).toContainText("Genuine and valid");
  await page.screenshot({ path: path.join(shots, "certificate-verify-en.png"), fullPage: true });
  await page.goto("/prefs?lang=zh&back=/");
});

test("a person's certificate is checked publicly with the name and number hidden", async ({ page }) => {
  await login(page, "zhangsan");
  await page.goto("/certificates");
  await page.getByRole("link", { name: "居民身份证" }).first().click();
  const verify = await page.getByRole("link", { name: "公开核验页" }).getAttribute("href");
  await page.context().clearCookies();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(verify);
  await expect(page.locator("p.done[role=status]")).toContainText("真实有效");
  await expect(page.locator(".facts")).toContainText("张*");
  await expect(page.locator(".facts")).not.toContainText("张三（");
  await expect(page.locator(".facts")).toContainText("********");
  await page.screenshot({ path: path.join(shots, "certificate-verify-phone.png"), fullPage: true });
  // A mistyped identifier is refused with the reason.
  await page.goto(verify.slice(0, -1) + (verify.endsWith("0") ? "1" : "0"));
  await expect(page.locator("p.error[role=alert]")).toContainText("校验位");
});

test("data travels instead of the applicant: an employment card decided in seconds, kept in the archive", async ({ page }) => {
  await login(page, "zhangsan");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/items/RS-005");
  await expect(page.locator("p.done")).toContainText("2 项材料可免提交");
  await page.getByRole("link", { name: "在线申请" }).click();
  await expect(page.locator("p.done")).toContainText("2 项材料可免提交");
  await expect(page.getByRole("checkbox", { name: /免提交：使用我的电子证照 居民身份证/ })).toBeChecked();
  await expect(page.getByRole("checkbox", { name: /社会保险参保缴费记录/ })).toBeChecked();
  await page.screenshot({ path: path.join(shots, "apply-shared-data-phone.png"), fullPage: true });
  await page.getByLabel("申请事项说明").fill("首次申领");
  await page.getByRole("button", { name: "提交申请" }).click();
  await expect(page).toHaveURL(/\/cases\/\d+/);
  await expect(page.locator("[role=status]").first()).toContainText("已秒批");
  await expect(page.locator("main")).toContainText("智能秒批通过");
  await expect(page.locator("main")).toContainText("免提交：电子证照");
  await expect(page.locator("main")).toContainText("参保状态 = 正常");
  // The card is among the certificates; the case waits in the archive with its decision letter.
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole("link", { name: "我的证照" }).click();
  await expect(page.locator("table")).toContainText("就业创业证");
  await page.getByRole("link", { name: "我的档案" }).click();
  await page.getByRole("link", { name: "查看档案" }).first().click();
  await expect(page.locator("main")).toContainText("保管期限");
  await expect(page.getByRole("link", { name: "决定书（PDF）" })).toBeVisible();
  const letter = await page.request.get(await page.getByRole("link", { name: "决定书（PDF）" }).getAttribute("href"));
  expect(letter.headers()["content-type"]).toBe("application/pdf");
  await page.goto("/prefs?lang=en&back=" + encodeURIComponent(new URL(page.url()).pathname));
  await expect(page.locator("main")).toContainText("Decision letter (PDF)");
  await page.screenshot({ path: path.join(shots, "archive-record-en.png"), fullPage: true });
  await page.goto("/prefs?lang=zh&back=/");
});
