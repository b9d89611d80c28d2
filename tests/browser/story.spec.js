// The whole story in a real browser: an applicant applies online for a bundle, the window accepts,
// three departments approve, the applicant follows every step, a leader sees it in the statistics,
// the applicant rates it. Then: a 补正 round trip, a refused acceptance, access denied, elder mode.
const { test, expect, login } = require("./fixtures");
const path = require("path");
const fs = require("fs");

const shots = process.env.UPDATE_SCREENSHOTS ? path.join(__dirname, "../../docs/screenshots") : path.join(__dirname, "test-results/screens");
fs.mkdirSync(shots, { recursive: true });

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: false });
}

function pdf(name) {
  return { name, mimeType: "application/pdf", buffer: Buffer.from(`%PDF-1.4\n% ${name}\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n`) };
}

test.describe.configure({ mode: "serial" });

let caseUrl;
let caseNumber;

test("an applicant applies online for the newborn bundle with one form and one set of materials", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "一次办好" })).toBeVisible();
  await shot(page, "home");
  await page.getByRole("link", { name: /新生儿出生/ }).click();
  await expect(page.getByRole("heading", { name: "新生儿出生" })).toBeVisible();
  await expect(page.locator(".qr svg")).toBeVisible();
  await expect(page.locator("table.materials")).toContainText("出生医学证明");
  await shot(page, "bundle-guide");

  await login(page, "zhangsan");
  await page.goto("/bundles/XSECS");
  await page.getByRole("link", { name: "在线申请" }).click();
  await page.getByLabel(/新生儿姓名/).fill("张小满");
  await page.getByLabel(/出生日期/).fill("2026-11-20");
  await page.getByLabel(/出生医院/).fill("菏泽市立医院");
  for (const label of ["父母双方居民身份证", "住院分娩记录", "出生医学证明", "居民户口簿", "符合标准的证件照片"]) {
    await page.getByLabel(new RegExp(label)).first().setInputFiles(pdf(`${label}.pdf`));
  }
  await shot(page, "apply");
  await page.getByRole("button", { name: "提交申请" }).click();
  await expect(page.locator(".status")).toContainText("待受理");
  caseUrl = new URL(page.url()).pathname;
  caseNumber = (await page.locator(".case-head .mono").textContent()).trim();
  expect(caseNumber).toMatch(/^371700\d{14}$/);
  await expect(page.locator(".timeline")).toContainText("提交申请");
});

test("the window accepts it after checking the materials", async ({ page }) => {
  await login(page, "window1");
  await page.goto("/window");
  await expect(page.locator(".queue").first()).toContainText(caseNumber);
  await shot(page, "window");
  await page.getByRole("link", { name: caseNumber }).click();
  await expect(page.locator("#accept-form")).toBeVisible();
  await page.locator("#accept-form").getByRole("button", { name: "受理" }).click();
  await expect(page.locator(".status")).toContainText("审查中");
  await expect(page.locator(".clock")).toContainText("承诺时限");
  await expect(page.getByRole("link", { name: "打印受理通知书" })).toBeVisible();
});

test("three departments approve in parallel from their inboxes", async ({ page }) => {
  for (const who of ["health1", "police1", "hrss1", "hrss1"]) {
    await login(page, who);
    await page.goto("/inbox");
    const row = page.locator("table.inbox tr", { hasText: caseNumber }).first();
    await expect(row).toBeVisible();
    await expect(row.locator(".dot")).toHaveClass(/green/);
    if (who === "health1") await shot(page, "inbox");
    await row.getByRole("link", { name: caseNumber }).click();
    const form = page.locator("form.task-form").first();
    await expect(form).toBeVisible();
    await form.getByRole("button", { name: "同意" }).click();
    await expect(page.locator(".done")).toContainText("已办理");
  }
});

test("the applicant sees every step, department, time and the decision", async ({ page }) => {
  await login(page, "zhangsan");
  await page.goto(caseUrl);
  await expect(page.locator(".status")).toContainText("已决定待出件");
  const timeline = page.locator(".timeline");
  for (const text of ["窗口受理", "卫生健康委员会", "公安局", "人力资源和社会保障局", "作出决定"]) {
    await expect(timeline).toContainText(text);
  }
  await expect(timeline.locator("li", { hasText: "审查同意" })).toHaveCount(4);
  await shot(page, "case-timeline");
});

test("the window hands out the result and a leader sees the case in the statistics", async ({ page }) => {
  await login(page, "window1");
  await page.goto(caseUrl);
  await page.locator("#deliver-form").getByLabel("电子送达").check();
  await page.locator("#deliver-form").getByRole("button", { name: "出件" }).click();
  await expect(page.locator(".status")).toContainText("已办结");

  await login(page, "leader");
  await page.goto("/dashboard");
  const health = page.locator("#stat-department table.stats tr", { hasText: "卫生健康委员会" });
  await expect(health).toBeVisible();
  await expect(page.locator("#chart-department svg")).toBeVisible();
  await shot(page, "dashboard");
  await health.getByRole("link").first().click();
  await expect(page.locator("table.cases")).toContainText(caseNumber);
});

test("the applicant rates the service", async ({ page }) => {
  await login(page, "zhangsan");
  await page.goto(caseUrl);
  await page.locator("#rate-form").getByLabel("非常满意").check();
  await page.locator("#rate-form").getByLabel(/评价内容/).fill("全程网办，一次没跑");
  await page.locator("#rate-form").getByRole("button", { name: "提交评价" }).click();
  await expect(page.locator("main")).toContainText("已评价");
  await expect(page.locator(".timeline")).toContainText("好差评");
});

test("a supplement round trip: one-time notice, upload, then acceptance", async ({ page }) => {
  // Online, an application without its required materials is refused and names them.
  await login(page, "zhangsan");
  await page.goto("/apply/item/GJJ-002");
  await page.getByLabel(/本人身份证件/).setInputFiles(pdf("id.pdf"));
  await page.getByRole("button", { name: "提交申请" }).click();
  await expect(page.locator(".error")).toContainText("购房合同或不动产权证书");

  // At the window, the clerk registers 张三's papers and checks them.
  await login(page, "window1");
  await page.goto("/window");
  const register = page.locator("form[action='/window/register']");
  await register.getByLabel("身份证号码或统一社会信用代码").fill("371702198805160020");
  await page.getByLabel("申请人姓名或单位名称").fill("张三");
  await page.getByLabel("办理事项").selectOption({ label: "住房公积金提取（购房）" });
  await page.getByRole("button", { name: "登记并核对材料" }).click();
  await expect(page.locator(".status")).toContainText("待受理");
  const url = new URL(page.url()).pathname;
  // Accepting without the purchase contract names what is missing and changes nothing.
  await page.locator("#accept-form").getByRole("button", { name: "受理" }).click();
  await expect(page.locator(".error")).toContainText("购房合同");
  await expect(page.locator(".status")).toContainText("待受理");
  await page.locator("#supplement-form").getByLabel("购房合同或不动产权证书").check();
  await page.locator("#supplement-form").getByRole("button", { name: "发出一次性告知" }).click();
  await expect(page.locator(".warn")).toContainText("购房合同或不动产权证书");
  const notice = await page.context().newPage();
  await notice.goto(url + "/notice/supplement");
  await expect(notice.locator("h1")).toContainText("一次性告知书");
  await expect(notice.locator("ol")).toContainText("购房合同或不动产权证书");
  await shot(notice, "supplement-notice");
  await notice.close();

  await login(page, "zhangsan");
  await page.goto(url);
  await expect(page.locator(".warn")).toContainText("购房合同");
  await page.locator("#supply-form").getByLabel("购房合同或不动产权证书").setInputFiles(pdf("contract.pdf"));
  await page.locator("#supply-form").getByRole("button", { name: "提交补正材料" }).click();
  await expect(page.locator(".timeline")).toContainText("补齐材料");

  await login(page, "window1");
  await page.goto(url);
  await page.locator("#accept-form").getByLabel("本人身份证件").check();
  await page.locator("#accept-form").getByRole("button", { name: "受理" }).click();
  await expect(page.locator(".status")).toContainText("审查中");
  await expect(page.locator(".done")).toContainText("已受理");
  await expect(page.locator(".next")).toContainText("正在审查");
});

test("the window refuses acceptance with a reason, after the ID number is checked", async ({ page }) => {
  await login(page, "window1");
  await page.goto("/window");
  await page.getByRole("search").getByLabel("身份证号码或统一社会信用代码").fill("371702198805160020");
  await page.getByRole("button", { name: "查找" }).click();
  await expect(page.locator("main")).toContainText(caseNumber);
  const register = page.locator("form[action='/window/register']");
  await register.getByLabel("身份证号码或统一社会信用代码").fill("371702198805160021");
  await page.getByLabel("申请人姓名或单位名称").fill("李四");
  await page.getByLabel("办理事项").selectOption({ label: "企业投资项目备案" });
  await page.getByRole("button", { name: "登记并核对材料" }).click();
  await expect(page.locator(".error")).toContainText("校验码");
  // What the clerk typed stays in the form.
  await expect(page.getByLabel("申请人姓名或单位名称")).toHaveValue("李四");
  // One ID, one name: 张三's ID number under another name is refused.
  await register.getByLabel("身份证号码或统一社会信用代码").fill("371702198805160020");
  await page.getByLabel("申请人姓名或单位名称").fill("李四");
  await page.getByLabel("办理事项").selectOption({ label: "企业投资项目备案" });
  await page.getByRole("button", { name: "登记并核对材料" }).click();
  await expect(page.locator(".error")).toContainText("已登记为另一名称");
  await register.getByLabel("身份证号码或统一社会信用代码").fill("371702198805160020");
  await page.getByLabel("申请人姓名或单位名称").fill("张三");
  await page.getByLabel("办理事项").selectOption({ label: "企业投资项目备案" });
  await page.getByRole("button", { name: "登记并核对材料" }).click();
  await expect(page.locator(".status")).toContainText("待受理");
  await page.getByLabel("不予受理理由").fill("该项目属于核准类项目，不适用备案");
  // An irreversible action asks first.
  let asked = "";
  page.once("dialog", (d) => { asked = d.message(); });
  await page.getByRole("button", { name: "不予受理" }).click();
  await expect.poll(() => asked).toContain("不能撤销");
  await expect(page.locator(".status")).toContainText("不予受理");
  await expect(page.locator(".case-head")).toContainText("不适用备案");
});

test("a department that owns no task in a case can neither see it nor act on it", async ({ page }) => {
  await login(page, "tax1");
  const response = await page.goto(caseUrl);
  expect(response.status()).toBe(404);
  await expect(page.locator("h1")).toContainText("找不到");
  const csrf = await page.locator("body").getAttribute("hx-headers");
  const token = JSON.parse(csrf)["X-CSRF-Token"];
  const forged = await page.request.post(caseUrl + "/act", { form: { csrf: token, command: "act", task: "1", action: "approve" } });
  expect(forged.status()).toBe(404);
  // A department in the case cannot act on another department's task either.
  await login(page, "hrss1");
  await page.goto("/cases/" + caseUrl.split("/").pop());
  await expect(page.locator("form.task-form")).toHaveCount(0);
});

test("elder mode and English are one click away on every page", async ({ page }) => {
  await page.goto("/items/GA-003");
  await page.getByRole("link", { name: "长者模式" }).click();
  await expect(page.locator("body")).toHaveClass(/elder/);
  await shot(page, "elder-mode");
  await page.getByRole("link", { name: "English" }).click();
  await expect(page.getByRole("link", { name: "Standard mode" })).toBeVisible();
  await expect(page.locator("h2").first()).toContainText("Conditions");
  await page.getByRole("link", { name: "Standard mode" }).click();
  await page.getByRole("link", { name: "中文" }).click();
  await expect(page.locator("body")).not.toHaveClass(/elder/);
});

test("the administrator checks a process definition and sees where it is wrong", async ({ page }) => {
  await login(page, "admin");
  await page.goto("/admin");
  await page.getByLabel(/粘贴流程定义/).fill('code = "test-flow"\nversion = 1\nname = "测试"\nstart = "a"\n[[node]]\nid = "a"\ntype = "join"\nnext = "e"\n[[node]]\nid = "e"\ntype = "end"\noutcome = "approved"\n');
  await page.getByRole("button", { name: "校验并预览", exact: true }).click();
  await expect(page.locator(".error")).toContainText("节点“a”：是汇合节点，但前面没有并行分支");
  // A valid definition, loaded from a file, is checked and drawn before anything is stored.
  await page.getByLabel(/从文件载入/).setInputFiles({
    name: "review.toml",
    mimeType: "text/plain",
    buffer: Buffer.from('code = "file-flow"\nversion = 1\nname = "文件流程"\nstart = "r"\n[[node]]\nid = "r"\ntype = "task"\nname = "初审"\ndepartment = "market"\nlimit = "2wd"\nactions = ["approve", "refuse"]\nnext = "e"\n[[node]]\nid = "e"\ntype = "end"\noutcome = "approved"\n'),
  });
  await expect(page.getByLabel(/粘贴流程定义/)).toHaveValue(/file-flow/);
  await page.getByRole("button", { name: "校验并预览", exact: true }).click();
  await expect(page.locator(".preview svg")).toBeVisible();
  await expect(page.locator(".preview")).toContainText("初审");
  await expect(page.locator("details").first()).toBeVisible();
  await page.locator("details").first().locator("summary").click();
  await shot(page, "admin");
});

test("the administrator saves a new version of an item and the guide shows it", async ({ page }) => {
  await login(page, "admin");
  await page.goto("/admin/items/GA-003");
  await expect(page.getByLabel(/实施编码/)).toHaveValue("GA-003");
  await page.getByLabel("承诺时限").fill("15");
  // Materials are rows with proper fields: a new row with a name and no code is refused, naming the row.
  const n = await page.locator("input[name=m_code]").evaluateAll((els) => els.findIndex((e) => !e.value) + 1);
  await page.getByLabel(`第${n}行 名称`, { exact: true }).fill("证件照片");
  await page.getByLabel(`第${n}行 必要性`, { exact: true }).selectOption({ label: "必要" });
  await page.getByRole("button", { name: "保存为新版本" }).click();
  await expect(page.locator(".error")).toContainText(`第 ${n} 行材料`);
  await page.getByLabel(`第${n}行 编码`, { exact: true }).fill("M-PORTRAIT");
  await page.getByRole("button", { name: "保存为新版本" }).click();
  await expect(page.locator(".done")).toContainText("v2");
  await page.goto("/items/GA-003");
  await expect(page.locator(".facts")).toContainText("15个工作日");
});

test("the administrator loads next year's holiday notice and it is in force at once", async ({ page }) => {
  await login(page, "admin");
  await page.goto("/admin");
  await page.getByLabel(/载入新一年的国务院通知/).fill('[[year]]\nyear = 2027\nnotice = "国务院办公厅关于2027年部分节假日安排的通知"\n[[year.holiday]]\nname = "元旦"\nrest = ["2027-01-01", "2027-01-0x"]\n');
  await page.getByRole("button", { name: "校验并生效" }).click();
  await expect(page.locator(".error")).toContainText("YYYY-MM-DD");
  await page.getByLabel(/载入新一年的国务院通知/).fill('[[year]]\nyear = 2027\nnotice = "国务院办公厅关于2027年部分节假日安排的通知"\n[[year.holiday]]\nname = "元旦"\nrest = ["2027-01-01", "2027-01-03"]\n');
  await page.getByRole("button", { name: "校验并生效" }).click();
  await expect(page.locator(".done")).toContainText("2004-2027");
  // A notice with only 元旦 is taken, and flagged as probably incomplete.
  await expect(page.locator(".done")).toContainText("2027年缺少春节");
  await expect(page.locator(".years")).toContainText("2027");
});
