/**
 * Drives the demo page in a real Chromium (Debian's, through playwright-core): fills the registration
 * form with the plan's first values, submits, reads every field's error; fills the fixes, submits,
 * then opens the organiser's list. Prints what it saw as one JSON object; the assertions are in
 * tests/e2e/test_demo_browser.py, which writes the plan:
 *   { "url": ".../demo/?edition=…", "first": {name: value}, "fixes": {name: value},
 *     "chromium": "/usr/bin/chromium", "screenshots": "<dir>", "timeout_ms": 15000 }
 * On failure it saves a screenshot and the page's console into `screenshots` and exits 1.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const plan = JSON.parse(readFileSync(process.argv[2] ?? "/dev/stdin", "utf-8"));
const browser = await chromium.launch({
  executablePath: plan.chromium, headless: true, timeout: plan.timeout_ms,
  args: ["--no-sandbox", "--disable-dev-shm-usage"],  // as root in a container; /dev/shm may be small
});
const page = await browser.newPage({ locale: "vi-VN" });
page.setDefaultTimeout(plan.timeout_ms);
const consoleLines = /** @type {string[]} */ ([]);
page.on("console", (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
page.on("pageerror", (error) => consoleLines.push(`pageerror: ${error.message}`));

/** @param {Record<string, string>} values */
async function fill(values) {
  for (const [name, value] of Object.entries(values)) {
    const input = page.locator(`[name="${name}"]`);
    if (await input.evaluate((el) => el.tagName === "SELECT")) await input.selectOption(value);
    else await input.fill(value);
  }
}

/** Every field's error slot: field name -> its text ("" when the field is fine). */
async function errors() {
  return page.locator("[data-error-for]").evaluateAll((slots) => Object.fromEntries(
    slots.map((slot) => [/** @type {HTMLElement} */ (slot).dataset.errorFor, slot.textContent ?? ""])));
}

/** Submits and waits for the answer to be shown (the outcome's state changes from "sending"). */
async function submit() {
  const answered = page.waitForResponse((r) => r.url().includes("/registrations") && r.request().method() === "POST");
  await page.locator("button[type=submit]").click();
  const response = await answered;
  await page.locator("#outcome[data-state]").waitFor();
  return response.status();
}

try {
  await page.goto(plan.url);
  await page.locator("body[data-ready=true]").waitFor();
  await fill(plan.first);
  const firstStatus = await submit();
  const firstErrors = await errors();
  const firstOther = await page.locator("#other-errors").textContent();
  const invalid = await page.locator("[aria-invalid=true]").evaluateAll(
    (inputs) => inputs.map((input) => input.getAttribute("name")));
  await page.screenshot({ path: join(plan.screenshots, "1-field-errors.png"), fullPage: true });

  await fill(plan.fixes);
  await page.evaluate(() => { delete document.querySelector("#outcome")?.dataset.state; });
  const secondStatus = await submit();
  const secondErrors = await errors();
  const outcome = page.locator("#outcome");
  const participationId = await outcome.getAttribute("data-participation-id");

  await page.locator("#load-participations").click();
  await page.locator(`tr[data-participation-id="${participationId}"]`).waitFor();
  const rows = await page.locator("#participations tbody tr").evaluateAll((trs) => trs.map((tr) => ({
    id: /** @type {HTMLElement} */ (tr).dataset.participationId,
    cells: [...tr.querySelectorAll("td")].map((td) => td.textContent),
  })));
  await page.screenshot({ path: join(plan.screenshots, "2-organiser-list.png"), fullPage: true });
  console.log(JSON.stringify({
    first: { status: firstStatus, errors: firstErrors, other: firstOther, invalid },
    second: { status: secondStatus, errors: secondErrors, outcome: await outcome.textContent(), participationId },
    rows, console: consoleLines,
  }));
} catch (error) {
  await page.screenshot({ path: join(plan.screenshots, "failure.png"), fullPage: true }).catch(() => {});
  writeFileSync(join(plan.screenshots, "console.txt"), consoleLines.join("\n"));
  console.error(error);
  process.exitCode = 1;
} finally {
  await browser.close();
}
