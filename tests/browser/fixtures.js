// Every page a test opens is watched: a script error, or anything the content security policy refuses
// (an inline script, an inline style it does not allow, a foreign resource), fails the test.
const base = require("@playwright/test");

exports.test = base.test.extend({
  page: async ({ page }, use) => {
    const problems = [];
    page.on("console", (m) => {
      if (m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(String(e)));
    // Irreversible actions ask first; a test that clicks one means it (see the test that refuses).
    page.on("dialog", (d) => d.accept());
    await use(page);
    base.expect(problems, "no script errors and nothing refused by the content security policy").toEqual([]);
  },
});
exports.expect = base.expect;

// Logs in through the login page as a demo user (all share the password the server printed).
exports.login = async function login(page, username) {
  await page.context().clearCookies();
  await page.goto("/login");
  await page.getByLabel("用户名").fill(username);
  await page.getByLabel("密码").fill(process.env.ONEGO_DEMO_PASSWORD);
  await page.getByRole("button", { name: "登录" }).click();
  await base.expect(page.locator(".who")).toContainText(/./);
};
