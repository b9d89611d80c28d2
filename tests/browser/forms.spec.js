// Forms: every mistake shown beside its field at once, and a form sent after the session expired
// filled in again once the person has logged in.
const { test, expect, login } = require("./fixtures");
const path = require("path");

// Screenshots go into docs/ only when asked (UPDATE_SCREENSHOTS=1), as in story.spec.js.
const shots = process.env.UPDATE_SCREENSHOTS ? path.join(__dirname, "../../docs/screenshots") : path.join(__dirname, "test-results/screens");

const password = process.env.ONEGO_DEMO_PASSWORD;

test("the public request form marks each wrong field at once and keeps the input", async ({ page }) => {
  await page.goto("/request");
  await page.locator("#category").selectOption({ index: 1 });
  await page.locator("#content").fill("吵");
  await page.locator("#phone").fill("12345");
  await page.getByRole("button", { name: "提交" }).click();
  await expect(page.locator("p.error[role=alert]")).toContainText("有 2 处需要更正");
  await expect(page.locator("#content-error")).toContainText("至少4个字");
  await expect(page.locator("#phone-error")).toContainText("手机");
  await expect(page.locator("#phone")).toHaveAttribute("aria-invalid", "true");
  await expect(page.locator("#phone")).toHaveValue("12345");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(shots, "form-errors-phone.png"), fullPage: true });
});

test("a form sent after the session expired comes back filled in after logging in", async ({ page }) => {
  await login(page, "window1");
  await page.goto("/window");
  await page.locator("#applicant_id").fill("110105198001010032");
  await page.locator("#applicant_name").fill("李明");
  await page.locator("#mobile").fill("13800138000");
  await page.locator("#subject").selectOption({ index: 1 });
  // The session ends while the clerk is typing: the server no longer knows the cookie.
  const cookies = await page.context().cookies();
  await page.context().clearCookies();
  await page.context().addCookies(
    cookies.map((c) => (c.name === "onego_session" ? { ...c, value: "expired-session-token" } : c)),
  );
  await page.getByRole("button", { name: "登记并核对材料" }).click();
  await expect(page).toHaveURL(/\/login\?next=%2Fwindow&expired=1&resume=1/);
  await expect(page.locator("#expired")).toContainText("登录已超时");
  await page.getByLabel("用户名").fill("window1");
  await page.getByLabel("密码").fill(password);
  await page.getByRole("button", { name: "登录" }).click();
  await expect(page).toHaveURL(/\/window\?resume=1/);
  await expect(page.locator("#restored")).toContainText("已填回");
  await expect(page.locator("#applicant_id")).toHaveValue("110105198001010032");
  await expect(page.locator("#applicant_name")).toHaveValue("李明");
  await expect(page.locator("#mobile")).toHaveValue("13800138000");
  // Sent again, it registers; the kept copy is gone.
  await page.getByRole("button", { name: "登记并核对材料" }).click();
  await expect(page).toHaveURL(/\/cases\/\d+/);
  expect(await page.evaluate(() => sessionStorage.getItem("onego.kept"))).toBeNull();
});
