// End-to-end: the device page (GET/POST /{tenant}/device) in a real browser. Debian's Chromium,
// driven by playwright-core (which never downloads a browser of its own), signs in (by login hint,
// or with the operator's link and its Sign in button), approves or denies a pending request by
// clicking its buttons, and the relying party then polls the token endpoint over plain fetch. JavaScript is off in the browser throughout: the page is server-rendered
// HTML forms and must work without it. Like poll-flow.test.ts, this file owns its `wrangler dev`
// (see startWrangler in ./server.ts) and makes its admin and relying-party calls through ./http.ts.
//
// Chromium comes from Debian (`apt-get install chromium`; .ci/run installs it). Without it the tests
// are skipped with a warning on a developer's machine, and fail under CI (CI set).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeJwt } from 'jose';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { CIBA, adminCall, rpPost, setUpTenant, startBackchannel, type Client } from './http.ts';
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
        // This file asks for carol many times on purpose; the limits have their own tests.
        { user_pending_limit: 1000, user_request_limit: 10000 },
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
        if (message.type() === 'error' && !isFaviconOfErrorDocument(message.location().url)) consoleErrors.push(message.text());
      });
    });

    // A JSON error document has no <link rel="icon">, so Chromium asks for /favicon.ico after it, at a
    // time of its own choosing (a 404 that races the assertions); the page's own documents declare none.
    const isFaviconOfErrorDocument = (url: string) => new URL(url, 'http://x').pathname === '/favicon.ico';

    afterEach(async () => {
      await context?.close();
    });

    /** Clicks `button` in `p` and returns the answer to the POST it sends to `path` below the tenant. */
    async function clickToPost(p: Page, button: ReturnType<Page['locator']>, path: string) {
      const [post] = await Promise.all([
        p.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/${TENANT}${path}`),
        button.click(),
      ]);
      return post;
    }

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
      expect(await page.title()).toBe('Your pending requests');
      // One external script, for the live list; with JavaScript off the page works without it.
      expect(await page.locator('script[src]').count()).toBe(1);
      expect(await page.locator('script:not([src])').count()).toBe(0);
      expect(await page.getByRole('note').textContent()).toContain('Development shortcut');

      const card = page.locator('section.request', { hasText: bindingMessage });
      expect(await card.count(), await page.content()).toBe(1);
      expect(await card.getByRole('heading', { level: 2 }).textContent()).toBe(`${CLIENT_NAME} asks you to sign in`);
      expect(await card.locator('.binding').textContent()).toBe(bindingMessage);
      expect(await card.locator('li').allTextContents()).toEqual(['Confirm who you are']);
      const requestId = await card.getAttribute('data-request-id');
      expect(requestId).toMatch(/^[A-Za-z0-9_-]+$/);
      return { card, requestId: requestId! };
    }

    /** Clicks `button` in the card, checks the 303 and the page it leads back to. */
    async function decide(card: ReturnType<Page['locator']>, requestId: string, button: 'Approve' | 'Deny') {
      const decision = button === 'Approve' ? 'approved' : 'denied';
      const post = await clickToPost(page, card.getByRole('button', { name: button }), '/device');
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

    /** Opens a new sign-in link from the operator in `p` and presses its Sign in button; returns the link. */
    async function signInWithLink(p: Page): Promise<string> {
      const { url } = await adminCall(server.origin, 'POST', `/tenants/${TENANT}/users/carol/device-link`, {}, 201);
      const opened = await p.goto(url as string);
      expect(opened?.status()).toBe(200);
      expect(await p.title()).toBe('Sign in');
      expect(await p.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in to your device');
      const post = await clickToPost(p, p.getByRole('button', { name: 'Sign in' }), '/device/session');
      expect(post.status(), await post.text().catch(() => '')).toBe(303);
      await p.waitForURL((u) => u.pathname === `/${TENANT}/device` && u.search === '');
      expect(await p.title()).toBe('Your pending requests');
      return url as string;
    }

    // The live page, with JavaScript on: signed in with the operator's link (a session cookie). `frames`
    // collects what the page's WebSocket receives, so a test can see the socket open and speak.
    async function livePage(options: Parameters<Browser['newContext']>[0] = {}) {
      const live = await browser.newContext({ viewport: { width: 420, height: 900 }, ...options });
      const p = await live.newPage();
      p.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      const frames: string[] = [];
      p.on('websocket', (ws) => ws.on('framereceived', (frame) => frames.push(String(frame.payload))));
      await signInWithLink(p);
      return { live, p, frames };
    }

    const cardOf = (p: Page, bindingMessage: string) => p.locator('section.request', { hasText: bindingMessage });

    test('live: a request made by an RP appears on the open page without a reload, a click approves it, and the RP gets tokens', async () => {
      const { live, p, frames } = await livePage();
      let navigations = 0;
      p.on('framenavigated', () => navigations++);
      const authReqId = await startBackchannel(issuer, client, LOGIN_HINT, 'LIVE 1');
      const card = cardOf(p, 'LIVE 1');
      await card.waitFor({ timeout: 10_000 });
      // The page's own origin opened the socket, and the inbox spoke on it.
      await expect.poll(() => frames, { timeout: 10_000 }).toContain('changed');
      expect(navigations).toBe(0);
      expect(await p.locator('#announce').textContent()).toBe('A new request arrived.');
      expect(await card.locator('.countdown').textContent()).toMatch(/^\d+:\d\d$/);
      await p.screenshot({ path: join(shots, 'device-page-live.png'), fullPage: true });
      await card.getByLabel('Sign in with').selectOption('app-passcode');
      await card.getByRole('button', { name: 'Approve' }).click();
      await p.waitForURL((u) => u.searchParams.get('done') === 'approved');
      const { status, body } = await rpPost(issuer, '/token', client, { grant_type: CIBA, auth_req_id: authReqId });
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body.authentication_method).toBe('app-passcode');
      expect(consoleErrors).toEqual([]);
      await live.close();
    });

    test('live: a double click decides once', async () => {
      const { live, p } = await livePage();
      const authReqId = await startBackchannel(issuer, client, LOGIN_HINT, 'LIVE DOUBLE');
      const card = cardOf(p, 'LIVE DOUBLE');
      await card.waitFor({ timeout: 10_000 });
      let posts = 0;
      p.on('request', (r) => {
        if (r.method() === 'POST') posts++;
      });
      await card.getByRole('button', { name: 'Deny' }).dblclick();
      await p.waitForURL((u) => u.searchParams.get('done') === 'denied');
      expect(posts).toBe(1);
      const { body } = await rpPost(issuer, '/token', client, { grant_type: CIBA, auth_req_id: authReqId });
      expect(body.error).toBe('access_denied');
      await live.close();
    });

    test('live: cancelled and expired requests leave by themselves', async () => {
      const { live, p } = await livePage({ colorScheme: 'dark' });
      const cancelled = await startBackchannel(issuer, client, LOGIN_HINT, 'LIVE CANCEL');
      await rpPost(issuer, '/cibaAuthorization', client, {
        scope: 'openid',
        login_hint: LOGIN_HINT,
        binding_message: 'LIVE EXPIRE',
        requested_expiry: '4',
      }, 200);
      await cardOf(p, 'LIVE CANCEL').waitFor({ timeout: 10_000 });
      await cardOf(p, 'LIVE EXPIRE').waitFor({ timeout: 10_000 });
      await p.screenshot({ path: join(shots, 'device-page-live-dark.png'), fullPage: true });
      await rpPost(issuer, '/ciba/cancel', client, { auth_req_id: cancelled }, 200);
      await cardOf(p, 'LIVE CANCEL').waitFor({ state: 'detached', timeout: 10_000 });
      await cardOf(p, 'LIVE EXPIRE').waitFor({ state: 'detached', timeout: 10_000 });
      await live.close();
    });

    test('with JavaScript off, a sign-in link signs in once, by its button', async () => {
      const url = await signInWithLink(page);
      expect(await page.getByRole('note').count()).toBe(0);
      await page.screenshot({ path: join(shots, 'device-page-signed-in.png'), fullPage: true });
      // The same link again: its page still opens, and signing in is refused.
      await page.goto(url);
      const again = await clickToPost(page, page.getByRole('button', { name: 'Sign in' }), '/device/session');
      expect(again.status()).toBe(400);
      expect(await again.json()).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/already used/) });
      // The browser reports that refused navigation, and nothing else.
      expect(consoleErrors).toEqual([expect.stringMatching(/status of 400/)]);
    });

    test('without a session the page shows no request', async () => {
      await startBackchannel(issuer, client, LOGIN_HINT, 'NOBODY SEES');
      const anonymous = await browser.newContext();
      const p = await anonymous.newPage();
      await p.goto(`${server.origin}/${TENANT}/device`);
      expect(await p.title()).toBe('Sign in');
      expect(await p.locator('section.request').count()).toBe(0);
      expect(await p.content()).not.toContain('NOBODY SEES');
      await anonymous.close();
    });

    /** The serious and critical violations an axe-core scan finds on `p` (whose context bypasses the CSP). */
    async function axeViolations(p: Page) {
      const axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
      await p.addScriptTag({ content: axeSource });
      const violations = (await p.evaluate(async () => {
        const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; help: string }[] }> } }).axe;
        return (await axe.run()).violations.map(({ id, impact, help }) => ({ id, impact, help }));
      })) as { id: string; impact: string; help: string }[];
      return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    }

    test('an axe-core scan of the page with a pending request finds no serious or critical violation', async () => {
      // The page's CSP admits no injected script, so the scanning context bypasses it.
      const { live, p } = await livePage({ bypassCSP: true });
      await startBackchannel(issuer, client, LOGIN_HINT, 'AXE CHECK');
      await cardOf(p, 'AXE CHECK').waitFor({ timeout: 10_000 });
      expect(await axeViolations(p)).toEqual([]);
      await live.close();
    });

    test('an axe-core scan of the sign-in link’s page finds no serious or critical violation', async () => {
      const scanning = await browser.newContext({ bypassCSP: true });
      const p = await scanning.newPage();
      const { url } = await adminCall(server.origin, 'POST', `/tenants/${TENANT}/users/carol/device-link`, {}, 201);
      await p.goto(url as string);
      expect(await p.getByRole('button', { name: 'Sign in' }).count()).toBe(1);
      expect(await axeViolations(p)).toEqual([]);
      await scanning.close();
    });
  });
}
