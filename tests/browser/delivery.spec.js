// Messages beyond the app: a person's own e-mail/SMS choices, and the administrator's queue and
// template editor, in Chinese, English, elder mode and on a phone.
const { test, expect, login } = require("./fixtures");
const path = require("path");

const shots = process.env.UPDATE_SCREENSHOTS ? path.join(__dirname, "../../docs/screenshots") : path.join(__dirname, "test-results/screens");

test("a person sets where to be reached; a bad address is marked beside its field", async ({ page }) => {
  await login(page, "zhangsan");
  await page.getByRole("link", { name: "消息设置" }).click();
  await expect(page).toHaveURL(/\/me\/notifications/);
  await page.locator("#email").fill("zhangsan@example");
  await page.locator("#mobile").fill("1390530");
  await page.locator("#by_sms").check();
  // The browser's own check of type=email would stop the form first; the server's check is what is tested.
  await page.locator("#email").evaluate((e) => e.setAttribute("type", "text"));
  await page.getByRole("button", { name: "保存" }).click();
  await expect(page.locator("p.error[role=alert]")).toContainText("有 2 处需要更正");
  await expect(page.locator("#email-error")).toContainText("name@example.com");
  await expect(page.locator("#mobile-error")).toContainText("11位数字");
  await expect(page.locator("#email")).toHaveValue("zhangsan@example");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(shots, "message-settings-errors-phone.png"), fullPage: true });
  await page.locator("#email").fill("zhangsan@example.com");
  await page.locator("#mobile").fill("13905301234");
  await page.getByRole("button", { name: "保存" }).click();
  await expect(page.locator("p.done[role=status]")).toContainText("站内通知、电子邮件、短信");
  await page.goto("/prefs?lang=en&back=/me/notifications");
  await expect(page.locator("h1")).toHaveText("Message settings");
  await expect(page.locator("#by_sms")).toBeChecked();
  await page.goto("/prefs?elder=1&back=/me/notifications");
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: path.join(shots, "message-settings-en-elder.png"), fullPage: true });
  await page.goto("/prefs?elder=0&back=/");
  await page.goto("/prefs?lang=zh&back=/");
});

test("an administrator previews a template, is stopped at three SMS segments, and saves", async ({ page }) => {
  await login(page, "admin");
  await page.goto("/admin");
  await page.getByRole("link", { name: "消息模板" }).first().click();
  await expect(page.locator("h1")).toHaveText("消息模板");
  await page.locator("a[href='/admin/templates/supplement/sms/zh']").click();
  await expect(page.locator("#sms_code")).toHaveValue("ONEGO_SUPPLEMENT");
  await page.locator("#body").fill("您申请的{{ title }}需补正：{{ materials }}。" + "请尽快登录补交".repeat(20));
  await page.getByRole("button", { name: "预览" }).click();
  await expect(page.locator("#body-error")).toContainText("需分 3 条发送");
  await page.locator("#body").fill("【菏泽政务】您申请的{{ title }}需补正：{{ materials }}，请登录补交。");
  await page.getByRole("button", { name: "预览" }).click();
  await expect(page.locator("#preview")).toContainText("【菏泽政务】您申请的食品经营许可（新办）需补正：食品经营许可申请书、营业执照，请登录补交。");
  await expect(page.locator("#preview")).toContainText("1 条短信");
  await page.getByRole("button", { name: "保存" }).click();
  await expect(page.locator("p.done[role=status]")).toContainText("已保存");
  await page.screenshot({ path: path.join(shots, "admin-template.png"), fullPage: true });
  await page.goto("/admin/templates");
  await expect(page.locator("a[href='/admin/templates/supplement/sms/zh'] + br + span")).toContainText("已修改：admin");
  await page.getByRole("link", { name: "消息发送" }).first().click();
  await expect(page.locator("h1")).toHaveText("消息发送");
  await page.goto("/prefs?lang=en&back=/admin/outbox");
  await expect(page.locator("h1")).toHaveText("Message delivery");
  await page.screenshot({ path: path.join(shots, "admin-outbox-en.png"), fullPage: true });
  await page.goto("/prefs?lang=zh&back=/");
});
