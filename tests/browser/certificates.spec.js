// Electronic certificates: the holder's 我的证照 with the use log, and the public check behind the QR
// code (genuine, status, the holder masked), in Chinese, English and on a phone.
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
  await expect(page.locator(".facts")).toContainText("法定代表人");
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
  await page.getByRole("link", { name: "居民身份证" }).click();
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
