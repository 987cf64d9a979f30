// The live dashboard in a real browser: Debian's chromium (installed by scripts/setup-browser.sh,
// never downloaded), driven by playwright-core, against a real `triad testnet` of 4 PoA
// validators, validator-3 Byzantine (`silent`). The network page (the testnet's control server)
// shows every validator, a rising height and the Byzantine node; a killed honest validator turns
// down. One node's own page shows its validator list and a rising height. Every wait polls the
// page's text; nothing sleeps. A full-page screenshot is kept in .ci/artifacts/dashboard.png.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlClient, waitFor, type TestnetManifest } from "../../src/testnet/index.js";
import { CliTestnet } from "../support/cli-testnet.js";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const ARTIFACTS = join(import.meta.dirname, "..", "..", ".ci", "artifacts");
const BYZANTINE = "validator-3";
const KILLED = "validator-1";
/** Long enough for a few blocks on a loaded 2-core machine. */
const UI_TIMEOUT_MS = 30_000;

let testnet: CliTestnet;
let manifest: TestnetManifest;
let control: string;
let browser: Browser;
let networkPage: Page;
let screenshotTaken = false;

const idOf = (name: string): string => manifest.nodes.find((n) => n.name === name)!.id;
const row = (name: string, role?: string): string => `#validators tr[data-validator="${idOf(name)}"]${role === undefined ? "" : `[data-role="${role}"]`}`;

/**
 * Polls the page from here, through playwright's own queries: the page's CSP (script-src 'self')
 * forbids the eval that waitForFunction with an expression needs, and the test must not weaken it.
 */
function untilPage<T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> {
  return waitFor(what, probe, { timeoutMs: UI_TIMEOUT_MS, intervalMs: 250 });
}

/** The page's network height, once it shows a number. */
async function shownHeight(page: Page): Promise<number> {
  return untilPage("a network height on the page", async () => {
    const text = (await page.textContent("#network-height")) ?? "";
    return /^\d+$/.test(text) ? Number(text) : undefined;
  });
}

/** Waits until the page shows a network height above `height`. */
async function heightRisesAbove(page: Page, height: number): Promise<void> {
  await untilPage(`a network height above ${height} on the page`, async () => (await shownHeight(page)) > height);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup-browser.sh (Debian's chromium package)`);
  testnet = await CliTestnet.start("triad-dashboard", ["--validators", "4", "--selection", "poa", "--tick-ms", "50", "--load", "5", "--byzantine", "3:silent", "--metrics-base-port", "0"]);
  manifest = testnet.manifest;
  control = testnet.manifest.control;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  networkPage = await browser.newPage({ viewport: { width: 1280, height: 800 } });
}, 150_000);

afterAll(async () => {
  // A failed run leaves the page as it was for whoever reads the CI artifacts.
  if (networkPage !== undefined && !screenshotTaken) {
    mkdirSync(ARTIFACTS, { recursive: true });
    await networkPage.screenshot({ path: join(ARTIFACTS, "dashboard-failed.png"), fullPage: true }).catch(() => {});
  }
  await browser?.close().catch(() => {});
  await testnet?.stop();
}, 60_000);

describe("the dashboard in headless chromium, on a 4-validator testnet with a Byzantine validator", () => {
  it("the network page shows every validator, a rising height, the Byzantine node, blocks and charts", async () => {
    const pageErrors: string[] = [];
    networkPage.on("pageerror", (err) => pageErrors.push(err.message));
    networkPage.on("console", (msg) => {
      if (msg.type() === "error" && /Content Security Policy/i.test(msg.text())) pageErrors.push(msg.text());
    });
    const res = await networkPage.goto(`${control}/dashboard/`);
    expect(res?.status()).toBe(200);
    await networkPage.waitForSelector('body[data-mode="network"]', { timeout: UI_TIMEOUT_MS });
    for (const n of manifest.nodes) {
      await networkPage.waitForSelector(row(n.name), { timeout: UI_TIMEOUT_MS });
      expect(await networkPage.textContent(`${row(n.name)} [data-field=name]`)).toBe(n.name);
    }
    expect(await networkPage.locator("#validators tr[data-validator]").count()).toBe(manifest.nodes.length);
    await untilPage("the chain id in the header", async () => (await networkPage.textContent("#chain-id")) === manifest.chainId);

    const h0 = await shownHeight(networkPage);
    await heightRisesAbove(networkPage, h0 + 2);

    await networkPage.waitForSelector(row(BYZANTINE, "byzantine"), { timeout: UI_TIMEOUT_MS });
    // The honest validators answer: each is the primary or a backup, with a height.
    for (const name of ["validator-0", "validator-1", "validator-2"]) {
      await networkPage.waitForSelector(`${row(name)}:is([data-role="primary"], [data-role="backup"])`, { timeout: UI_TIMEOUT_MS });
      expect(await networkPage.textContent(`${row(name)} [data-field=height]`)).toMatch(/^\d+$/);
      expect(await networkPage.textContent(`${row(name)} [data-field=view]`)).toMatch(/^\d+$/);
      expect(await networkPage.textContent(`${row(name)} [data-field=phase]`)).not.toBe("");
    }
    await networkPage.waitForSelector('#validators tr[data-role="primary"]', { timeout: UI_TIMEOUT_MS });
    await untilPage("two blocks in the blocks table", async () => (await networkPage.locator("#blocks tbody tr[data-height]").count()) >= 2);
    expect(await networkPage.locator("#chart-throughput canvas").count()).toBeGreaterThan(0);
    expect(await networkPage.locator("#chart-latency canvas").count()).toBeGreaterThan(0);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it("a node's own page shows its validator list and a rising height", async () => {
    const own = manifest.nodes.find((n) => n.name === "validator-0")!;
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await page.goto(`${own.rpc}/dashboard/`);
      await page.waitForSelector('body[data-mode="node"]', { timeout: UI_TIMEOUT_MS });
      for (const n of manifest.nodes) await page.waitForSelector(row(n.name), { timeout: UI_TIMEOUT_MS });
      await page.waitForSelector(`${row("validator-0")}.self:is([data-role="primary"], [data-role="backup"])`, { timeout: UI_TIMEOUT_MS });
      const h0 = await shownHeight(page);
      await heightRisesAbove(page, h0 + 1);
    } finally {
      await page.close();
    }
  }, 120_000);

  it("a killed honest validator turns down, and the kill shows in the timeline", async () => {
    await new ControlClient(control).kill(KILLED);
    await networkPage.waitForSelector(row(KILLED, "down"), { timeout: UI_TIMEOUT_MS });
    await networkPage.waitForSelector('#timeline li[data-kind="perturbation"]', { timeout: UI_TIMEOUT_MS });
    // The Byzantine node is still shown as such, and down wins only for the killed one.
    expect(await networkPage.getAttribute(row(BYZANTINE), "data-role")).toBe("byzantine");
    mkdirSync(ARTIFACTS, { recursive: true });
    await networkPage.screenshot({ path: join(ARTIFACTS, "dashboard.png"), fullPage: true });
    screenshotTaken = true;
  }, 120_000);
});
