// 改革成效台账 in a real browser: the leader reads the city's reduction and each item's, with the source
// of the figures before the reform, and downloads the table; on a phone too.
const { test, expect, login } = require("./fixtures");
const path = require("path");
const fs = require("fs");

const shots = process.env.UPDATE_SCREENSHOTS ? path.join(__dirname, "../../docs/screenshots") : path.join(__dirname, "test-results/screens");
fs.mkdirSync(shots, { recursive: true });

test("the leader reads the reform ledger and downloads it", async ({ page }) => {
  await login(page, "leader");
  await page.getByRole("link", { name: "改革成效" }).click();
  await expect(page.locator("h1")).toHaveText("改革成效台账");
  await expect(page.locator("#reform-whole")).toContainText("全市合计");
  await expect(page.locator("#reform-whole")).toContainText("%");
  await expect(page.locator("main")).toContainText("食品经营许可");
  await expect(page.locator("main")).toContainText("办事指南");
  await page.screenshot({ path: path.join(shots, "reform.png"), fullPage: true });
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: /导出表格/ }).click(),
  ]);
  expect(download.suggestedFilename()).toBe("reform.csv");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await expect(page.locator("#reform-whole")).toBeVisible();
  await page.screenshot({ path: path.join(shots, "reform-phone.png"), fullPage: false });
});
