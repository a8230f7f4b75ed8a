// End-to-end: the device page (GET/POST /{tenant}/device) in a real browser. Debian's Chromium,
// driven by playwright-core (which never downloads a browser of its own), signs in, approves or
// denies a pending request by clicking its buttons, and the relying party then polls the token
// endpoint over plain fetch. JavaScript is off in the browser throughout: the page is server-rendered
// HTML forms and must work without it. Like poll-flow.test.ts, this file owns its `wrangler dev`
// (see startWrangler in ./server.ts) and makes its admin and relying-party calls through ./http.ts.
//
// Chromium comes from Debian (`apt-get install chromium`; .ci/run installs it). Without it the tests
// are skipped with a warning on a developer's machine, and fail under CI (CI set).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeJwt } from 'jose';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { CIBA, rpPost, setUpTenant, startBackchannel, type Client } from './http.ts';
import { startWrangler, type Server } from './server.ts';

const CHROMIUM = '/usr/bin/chromium';
const TENANT = `e2e-browser-${Date.now().toString(36)}`;
const LOGIN_HINT = 'carol@example.com';
const CLIENT_NAME = 'E2E Browser Bank';
/** Set to a directory to keep the screenshots; otherwise they go to a temporary one, removed after. */
const SCREENSHOT_DIR = process.env.E2E_SCREENSHOT_DIR;

const inCI = Boolean(process.env.CI) && !/^(0|false)$/i.test(process.env.CI ?? '');
const haveChromium = existsSync(CHROMIUM);
const INSTALL_HINT = 'sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium';

if (!haveChromium && inCI) {
  describe('device page in a real browser', () => {
    test('Chromium is installed', () => {
      throw new Error(
        `${CHROMIUM} is missing, so the device page's browser test cannot run. CI must install ` +
          `Debian's Chromium before the tests: .ci/run does so with apt-get when it is missing ` +
          `(by hand: ${INSTALL_HINT}).`,
      );
    });
  });
} else {
  if (!haveChromium) {
    const bar = '!'.repeat(100);
    console.warn(
      `\n${bar}\n!! SKIPPED: the device page's browser test (test/e2e/device-page.browser.test.ts).\n` +
        `!! It drives Debian's Chromium at ${CHROMIUM}, which is not installed. Install it with:\n` +
        `!!     ${INSTALL_HINT}\n!! (CI installs it and fails this test without it.)\n${bar}\n`,
    );
  }

  describe.skipIf(!haveChromium)('device page in a real browser (Chromium, JavaScript off)', () => {
    let server: Server;
    let issuer: string;
    let client: Client;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let shots: string;
    const consoleErrors: string[] = [];

    beforeAll(async () => {
      shots = SCREENSHOT_DIR ? resolve(SCREENSHOT_DIR) : await mkdtemp(join(tmpdir(), 'ciba-device-page-'));
      await mkdir(shots, { recursive: true });
      [server, browser] = await Promise.all([
        startWrangler(),
        // chromium.launch gives the browser a fresh temporary profile (--user-data-dir) and deletes
        // it on close. The background-networking flags keep Chromium from dialling out: this closed
        // network refuses it, and then the browser's own connections get refused too.
        chromium.launch({
          executablePath: CHROMIUM,
          headless: true,
          args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
          timeout: 60_000,
        }),
      ]);
      issuer = `${server.origin}/${TENANT}/as`;

      client = await setUpTenant(
        server.origin,
        TENANT,
        [{ id: 'carol', loginHint: LOGIN_HINT, name: 'Carol' }],
        CLIENT_NAME,
      );
    });

    afterAll(async () => {
      await browser?.close();
      await server?.stop();
      if (shots && !SCREENSHOT_DIR) await rm(shots, { recursive: true, force: true });
    });

    beforeEach(async () => {
      context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 800, height: 900 } });
      page = await context.newPage();
      consoleErrors.length = 0;
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
    });

    afterEach(async () => {
      await context?.close();
    });

    /** Opens the device page, signs in through its form, and returns the card showing `bindingMessage`. */
    async function signInAndFindCard(bindingMessage: string) {
      const landing = await page.goto(`${server.origin}/${TENANT}/device`);
      expect(landing?.status()).toBe(200);
      expect(await page.title()).toBe('Sign in');
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in to your device');
      await page.screenshot({ path: join(shots, 'device-page-sign-in.png'), fullPage: true });

      await page.getByLabel('Your e-mail, phone number or user id').fill(LOGIN_HINT);
      await page.getByRole('button', { name: 'Show my requests' }).click();
      await page.waitForURL((url) => url.pathname === `/${TENANT}/device` && url.searchParams.has('login_hint'));
      expect(new URL(page.url()).searchParams.get('login_hint')).toBe(LOGIN_HINT);
      expect(await page.title()).toBe('Pending requests');
      expect(await page.locator('script').count()).toBe(0); // nothing that JavaScript would run

      const card = page.locator('section.request', { hasText: bindingMessage });
      expect(await card.count(), await page.content()).toBe(1);
      expect(await card.getByRole('heading', { level: 2 }).textContent()).toBe(`${CLIENT_NAME} asks you to sign in`);
      expect(await card.locator('.binding').textContent()).toBe(bindingMessage);
      expect(await card.locator('code').textContent()).toBe('openid');
      const requestId = await card.getAttribute('data-request-id');
      expect(requestId).toMatch(/^[A-Za-z0-9_-]+$/);
      return { card, requestId: requestId! };
    }

    /** Clicks `button` in the card, checks the 303 and the page it leads back to. */
    async function decide(card: ReturnType<Page['locator']>, requestId: string, button: 'Approve' | 'Deny') {
      const decision = button === 'Approve' ? 'approved' : 'denied';
      const [post] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/${TENANT}/device`),
        card.getByRole('button', { name: button }).click(),
      ]);
      expect(post.status(), await post.text().catch(() => '')).toBe(303);
      await page.waitForURL((url) => url.searchParams.get('done') === decision);
      const url = new URL(page.url());
      expect(url.pathname).toBe(`/${TENANT}/device`);
      expect(url.searchParams.get('login_hint')).toBe(LOGIN_HINT);

      expect(await page.getByRole('status').textContent()).toBe(`Request ${decision}.`);
      expect(await page.locator(`section.request[data-request-id="${requestId}"]`).count()).toBe(0);
      expect(await page.content()).not.toContain(requestId);
    }

    test('sign in, approve with mobile-id, and the poll gets tokens', async () => {
      const authReqId = await startBackchannel(issuer, client, LOGIN_HINT, 'BROWSER 7');

      const { card, requestId } = await signInAndFindCard('BROWSER 7');
      const method = card.getByLabel('Sign in with');
      expect(await method.locator('option').allTextContents()).toEqual([
        'smart-id',
        'mobile-id',
        'app-passcode',
        'app-biometrics',
      ]);
      expect(await method.selectOption('mobile-id')).toEqual(['mobile-id']);
      await page.screenshot({ path: join(shots, 'device-page-pending.png'), fullPage: true });

      await decide(card, requestId, 'Approve');
      await page.screenshot({ path: join(shots, 'device-page-approved.png'), fullPage: true });
      if (SCREENSHOT_DIR) console.info(`device page screenshots in ${shots}`);
      expect(consoleErrors).toEqual([]);

      const { status, body } = await rpPost(issuer, '/token', client, { grant_type: CIBA, auth_req_id: authReqId });
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body).toMatchObject({
        token_type: 'Bearer',
        authentication_method: 'mobile-id',
        access_token: expect.any(String),
        id_token: expect.any(String),
      });
      expect(decodeJwt(body.id_token as string)).toMatchObject({ sub: 'carol', amr: ['hwk', 'pin', 'mfa'] });
    });

    test('sign in, deny, and the poll answers access_denied', async () => {
      const authReqId = await startBackchannel(issuer, client, LOGIN_HINT, 'BROWSER NO');

      const { card, requestId } = await signInAndFindCard('BROWSER NO');
      await decide(card, requestId, 'Deny');
      await page.screenshot({ path: join(shots, 'device-page-denied.png'), fullPage: true });
      expect(consoleErrors).toEqual([]);

      const { status, body } = await rpPost(issuer, '/token', client, { grant_type: CIBA, auth_req_id: authReqId });
      expect(status, JSON.stringify(body)).toBe(400);
      expect(body).toMatchObject({ error: 'access_denied' });
    });
  });
}
