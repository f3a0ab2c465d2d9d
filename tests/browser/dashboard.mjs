// Browser tests of the orgaudit dashboard: Debian's Chromium, headless,
// driven by playwright-core.  Started by tests/it/test_browser.py, which
// runs the stack and passes what this needs in the environment:
//
//   OA_URL         the site, e.g. http://127.0.0.1:41234
//   OA_EMAIL, OA_PASSWORD   an owner account
//   OA_ADMIN_KEY_FILE       a good admin key for the simulated org
//   OA_TRUTH_URL   the simulator's ground truth
//   OA_COLLECT     a shell command that runs one collection of all orgs
//   OA_SHOTS       where screenshots go
//
// Prints TAP lines ("ok - name" / "not ok - name"), one per step.
import { chromium } from 'playwright-core';
import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';

const env = process.env;
const base = env.OA_URL;
const shots = env.OA_SHOTS;
mkdirSync(shots, { recursive: true });

let failed = 0;
const problems = [];            // CSP reports and failed subresources

async function step(name, fn) {
  try {
    await fn();
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}`);
    for (const line of String(e && e.stack || e).split('\n').slice(0, 8))
      console.log(`# ${line}`);
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function shot(page, name) {
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--disable-quic'],
});

// RFC 6238: HMAC-SHA1 over the 30 s step counter, 6 digits.
function base32(s) {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, v = 0;
  const out = [];
  for (const ch of s.replace(/=+$/, '').toUpperCase()) {
    const i = abc.indexOf(ch);
    if (i < 0) throw new Error(`not base32: ${ch}`);
    v = (v << 5) | i; bits += 5;
    if (bits >= 8) { out.push((v >>> (bits - 8)) & 255); bits -= 8; }
  }
  return Buffer.from(out);
}
function totp(secret, offset = 0) {
  const counter = Math.floor(Date.now() / 1000 / 30) + offset;
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const h = createHmac('sha1', base32(secret)).update(msg).digest();
  const o = h[19] & 15;
  const n = ((h[o] & 127) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1000000).padStart(6, '0');
}
const pathOf = (p) => new URL(p.url()).pathname;
async function newPage(headers) {
  const ctx = await browser.newContext({ javaScriptEnabled: false,
    ...(headers ? { extraHTTPHeaders: headers } : {}) });
  return ctx.newPage();
}
async function signIn(p, email, password) {
  await p.goto(`${base}/login`);
  assert(await p.$('input[type=hidden][name=csrf]'), 'no csrf input');
  await p.fill('input[name=email]', email);
  await p.fill('input[name=password]', password);
  await p.click('button[type=submit]');
}
const context = await browser.newContext({ javaScriptEnabled: false });
const page = await context.newPage();
page.on('console', (m) => {
  if (/Content Security Policy|Refused to/.test(m.text()))
    problems.push(m.text());
});
// Pages answer 4xx on purpose (a wrong password is a 401); what must
// never fail is a stylesheet, an icon or anything else a page loads.
page.on('response', (r) => {
  if (r.request().resourceType() !== 'document' && r.status() >= 400)
    problems.push(`${r.status()} ${r.url()}`);
});
page.on('requestfailed', (r) => problems.push(`failed ${r.url()}`));

try {
  await step('no page without a session: redirected to sign in', async () => {
    await page.goto(`${base}/orgs`);
    assert(new URL(page.url()).pathname === '/login', `at ${page.url()}`);
    await shot(page, '01-login');
  });

  await step('a wrong password is refused', async () => {
    await page.fill('input[name=email]', env.OA_EMAIL);
    await page.fill('input[name=password]', 'not the password at all');
    await page.click('button[type=submit]');
    const err = await page.textContent('.error');
    assert(/wrong/.test(err), `error: ${err}`);
  });

  await step('sign in', async () => {
    await page.fill('input[name=email]', env.OA_EMAIL);
    await page.fill('input[name=password]', env.OA_PASSWORD);
    await page.click('button[type=submit]');
    assert(new URL(page.url()).pathname === '/orgs', `at ${page.url()}`);
    const cookies = await context.cookies();
    const c = cookies.find((x) => x.name === '__Host-orgaudit');
    assert(c && c.httpOnly && c.secure && c.sameSite === 'Lax',
      `session cookie: ${JSON.stringify(c)}`);
  });

  await step('empty state says what to do', async () => {
    const text = await page.textContent('main');
    assert(/No OpenAI organization is connected yet/.test(text), text);
    await shot(page, '02-orgs-empty');
  });

  await step('a project key is refused with a message naming the admin key',
    async () => {
      await page.click('text=+ Connect org');
      await page.fill('input[name=name]', 'Simulated org');
      await page.fill('input[name=key]', 'sk-proj-' + 'a'.repeat(48) + 'wxyz');
      await page.click('main form.stack button[type=submit]');
      const err = await page.textContent('.error');
      assert(/project API key/.test(err) && /sk-admin-/.test(err), err);
      const html = await page.content();
      assert(!html.includes('a'.repeat(48)), 'the key was echoed back');
      await shot(page, '03-connect-wrong-key');
    });

  await step('connect with the admin key and see the checklist', async () => {
    const key = readFileSync(env.OA_ADMIN_KEY_FILE, 'utf8').trim();
    await page.fill('input[name=name]', 'Simulated org');
    await page.fill('input[name=key]', key);
    await page.click('main form.stack button[type=submit]');
    assert(/^\/orgs\/\d+$/.test(new URL(page.url()).pathname),
      `at ${page.url()}`);
    const flash = await page.textContent('.flash');
    assert(/connected/.test(flash), flash);
    const items = await page.$$eval('.checklist li', (l) => l.map((x) => x.textContent));
    assert(items.length >= 7, `checklist: ${items.length} items`);
    assert(items.some((t) => /admin key accepted/.test(t) && /ok/.test(t)),
      items.join(' | '));
    const html = await page.content();
    assert(!html.includes(key.slice(9, -4)), 'the admin key is on the page');
    await shot(page, '04-connected-overview');
  });

  const orgPath = new URL(page.url()).pathname;

  await step('after a collection the overview shows counts and a chart',
    async () => {
      execSync(env.OA_COLLECT, { stdio: 'ignore' });
      await page.goto(`${base}${orgPath}`);
      const truth = await (await fetch(env.OA_TRUTH_URL)).json();
      const stale = await page.textContent('.card.warn .n');
      assert(Number(stale) === truth.stale.length,
        `stale card ${stale}, truth ${truth.stale.length}`);
      assert(await page.$('svg.chart rect'), 'no chart');
      const streams = await page.$$eval('section table tbody tr', (r) => r.length);
      assert(streams === 15, `${streams} stream rows`);
      await shot(page, '05-overview');
    });

  await step('filter keys to stale', async () => {
    await page.click('a.card.warn >> nth=0');
    await page.selectOption('select[name=stale]', 'true');
    await page.click('form.filters button[type=submit]');
    const truth = await (await fetch(env.OA_TRUTH_URL)).json();
    const ids = await page.$$eval('table.keys tbody tr .id:first-of-type',
      (l) => l.map((x) => x.textContent.trim()));
    const keyIds = ids.filter((i) => i.startsWith('key_'));
    const count = await page.textContent('p.count');
    assert(count.startsWith(`${truth.stale.length} keys`), count);
    for (const id of keyIds)
      assert(truth.stale.includes(id), `${id} is listed but not stale`);
    assert(keyIds.length === Math.min(50, truth.stale.length),
      `${keyIds.length} rows`);
    await shot(page, '06-keys-stale');
  });

  await step('sort keys and the order holds', async () => {
    await page.selectOption('select[name=stale]', '');
    await page.selectOption('select[name=sort]', 'created');
    await page.selectOption('select[name=dir]', 'desc');
    await page.click('form.filters button[type=submit]');
    const dates = await page.$$eval('table.keys tbody tr td:nth-child(5)',
      (l) => l.map((x) => x.textContent.trim()));
    const sorted = [...dates].sort().reverse();
    assert(JSON.stringify(dates) === JSON.stringify(sorted), dates.join(','));
  });

  await step('hostile names render as text', async () => {
    await page.goto(`${base}${orgPath}/projects`);
    const html = await page.content();
    assert(!/<script>alert/.test(html), 'raw <script> in the page');
    const names = await page.$$eval('td bdi', (l) => l.map((x) => x.textContent));
    assert(names.some((n) => n.includes('<script>alert(1)</script>')),
      'the hostile name is not shown as text');
    await shot(page, '07-projects');
  });

  // Every list page under an org, from the route table.
  const routes = JSON.parse(readFileSync(env.OA_ROUTES, 'utf8'));
  const truth0 = await (await fetch(env.OA_TRUTH_URL)).json();
  const project = truth0.active_projects[0];
  const lists = routes.filter((r) => r.list && !r.api);
  assert(lists.length >= 9, `${lists.length} list pages`);
  for (const r of lists) {
    const path = r.pattern.replace('/orgs/:org', orgPath)
      .replace('*project', project);
    await step(`${r.list} page`, async () => {
      const resp = await page.goto(`${base}${path}`);
      assert(resp.status() === 200, `${path}: ${resp.status()}`);
      assert(await page.$('table tbody tr'), `${path}: no rows`);
      const html = await page.content();
      assert(!/cannot be shown/.test(html), `${path}: no template`);
      await shot(page, `08-list-${r.list}`);
    });
  }

  await step('evidence packs and billing pages', async () => {
    await page.goto(`${base}${orgPath}/packs`);
    assert(await page.$('input[type=datetime-local][name=since]'),
      'no form to make a pack');
    const key = await page.textContent('pre.pem');
    assert(key.includes('BEGIN PUBLIC KEY'), 'no signing key shown');
    await shot(page, '12-packs');
    await page.goto(`${base}/billing`);
    const est = await page.textContent('main');
    assert(/Day \d+ of \d+/.test(est), 'no estimate on the billing page');
    assert(await page.$('table.billing tbody tr'), 'no org in the estimate');
    await shot(page, '13-billing');
  });

  await step('accounts and tokens pages', async () => {
    await page.goto(`${base}/accounts`);
    await shot(page, '10-accounts');
    await page.goto(`${base}/tokens`);
    await page.fill('input[name=name]', 'browser test');
    await page.click('main form.stack button[type=submit]');
    const tok = await page.textContent('code.token');
    assert(/^oat_[A-Za-z0-9_-]{43}$/.test(tok.trim()), tok);
    await shot(page, '11-token-created');
    const r = await fetch(`${base}/api/v1/openai/orgs`,
      { headers: { Authorization: `Bearer ${tok.trim()}` } });
    assert(r.status === 200, `API with the new token: ${r.status}`);
    await page.goto(`${base}/tokens`);
    assert(!(await page.$('code.token')), 'the token is shown again');
    const listed = await page.textContent('main table');
    assert(listed.includes('browser test') && !listed.includes(tok.trim()),
      'the token is listed in full');
  });

  await step('no CSP violation and no failed subresource', async () => {
    assert(problems.length === 0, problems.join('\n'));
  });

  await step('sign out ends the session', async () => {
    const cookie = (await context.cookies()).find((x) => x.name === '__Host-orgaudit');
    await page.click('button:has-text("Sign out")');
    assert(new URL(page.url()).pathname === '/login', page.url());
    assert(/signed out/.test(await page.textContent('.flash')), 'no flash');
    await page.goto(`${base}/orgs`);
    assert(new URL(page.url()).pathname === '/login', 'still signed in');
    // The old cookie is dead on the server, not only in this browser.
    const r = await fetch(`${base}/orgs`, { redirect: 'manual',
      headers: { Cookie: `__Host-orgaudit=${cookie.value}` } });
    assert(r.status === 303, `old session answered ${r.status}`);
    await shot(page, '12-signed-out');
  });
  // -- accounts: passwords, reset links, second factor, sessions --------
  const owner = await newPage();
  await signIn(owner, env.OA_EMAIL, env.OA_PASSWORD);
  async function addAccount(email, password) {
    await owner.goto(`${base}/accounts`);
    await owner.fill('main form.stack input[name=email]', email);
    await owner.selectOption('main form.stack select[name=role]', 'viewer');
    await owner.fill('main form.stack input[name=password]', password);
    await owner.click('main form.stack button:has-text("Add account")');
    const text = await owner.textContent('main table');
    assert(text.includes(email.slice(0, 4)), `${email} not listed: ${text}`);
  }
  const pw0 = 'first password 0123';

  await step('the owner adds viewer accounts through the Accounts form',
    async () => {
      assert(pathOf(owner) === '/orgs', `owner at ${owner.url()}`);
      for (const e of ['changer@browser-co.example', 'resetme@browser-co.example',
        'twofa@browser-co.example', 'locked@browser-co.example'])
        await addAccount(e, pw0);
      await shot(owner, '20-accounts-added');
    });

  const a1 = await newPage(), a2 = await newPage();
  const newPw = 'the changed password 42';
  await step('a password change signs out the other sessions', async () => {
    await signIn(a1, 'changer@browser-co.example', pw0);
    await signIn(a2, 'changer@browser-co.example', pw0);
    assert(pathOf(a1) === '/orgs' && pathOf(a2) === '/orgs', 'not signed in');
    await a1.goto(`${base}/account`);
    await a1.fill('input[name=password]', 'not the password at all');
    await a1.fill('input[name=new_password]', newPw);
    await a1.click('button:has-text("Change the password")');
    assert(/not right/.test(await a1.textContent('.error')), 'wrong current password taken');
    await a1.fill('input[name=password]', pw0);
    await a1.fill('input[name=new_password]', newPw);
    await a1.click('button:has-text("Change the password")');
    assert(pathOf(a1) === '/account', `at ${a1.url()}`);
    await shot(a1, '21-password-changed');
    await a1.goto(`${base}/orgs`);
    assert(pathOf(a1) === '/orgs', 'this session ended too');
    await a2.goto(`${base}/orgs`);
    assert(pathOf(a2) === '/login', `the other session lives: ${a2.url()}`);
    await signIn(a2, 'changer@browser-co.example', pw0);
    assert(pathOf(a2) === '/login', 'the old password still works');
    await signIn(a2, 'changer@browser-co.example', newPw);
    assert(pathOf(a2) === '/orgs', `new password: at ${a2.url()}`);
  });

  await step('the sessions list shows both; "sign out every other" ends the other',
    async () => {
      await a1.goto(`${base}/account`);
      const rows = await a1.$$eval('table.sessions tbody tr', (l) => l.map((x) => x.textContent));
      assert(rows.length === 2, `${rows.length} sessions: ${rows.join(' | ')}`);
      assert(rows.filter((r) => /this one/.test(r)).length === 1, rows.join(' | '));
      await shot(a1, '22-sessions');
      await a1.click('button:has-text("Sign out every other session")');
      await a1.goto(`${base}/account`);
      const left = await a1.$$eval('table.sessions tbody tr', (l) => l.length);
      assert(left === 1, `${left} sessions left`);
      await a2.goto(`${base}/orgs`);
      assert(pathOf(a2) === '/login', `the other session lives: ${a2.url()}`);
    });

  await step('an owner\'s reset link sets a new password, once', async () => {
    await owner.goto(`${base}/accounts`);
    const rows = await owner.$$('main table tbody tr');
    let hit = null;
    for (const row of rows)
      if ((await (await row.$('td')).textContent()).startsWith('rese')) hit = row;
    assert(hit, 'no row for resetme@');
    await (await hit.$('button:has-text("reset password")')).click();
    const link = (await owner.textContent('#reset-link')).trim();
    assert(/\/reset\?token=/.test(link), link);
    await shot(owner, '23-reset-link');
    await owner.goto(`${base}/accounts`);
    assert(!(await owner.$('#reset-link')), 'the link is shown again');
    const r = await newPage();
    await r.goto(new URL(new URL(link).pathname + new URL(link).search, base).href);
    await r.fill('input[name=new_password]', 'reset by the link 77');
    await r.click('button:has-text("Set the password")');
    assert(pathOf(r) === '/login', `after reset: ${r.url()}`);
    await signIn(r, 'resetme@browser-co.example', pw0);
    assert(pathOf(r) === '/login', 'the old password still works');
    await signIn(r, 'resetme@browser-co.example', 'reset by the link 77');
    assert(pathOf(r) === '/orgs', `with the new password: ${r.url()}`);
    const again = await newPage();
    await again.goto(new URL(new URL(link).pathname + new URL(link).search, base).href);
    const form = await again.$('input[name=new_password]');
    const err = await again.$('.error');
    assert(!form && err, 'the link works a second time');
    await shot(again, '24-reset-link-spent');
  });

  const t1 = await newPage();
  let secret = '', codes = [];
  await step('enroll a second factor; recovery codes are shown once', async () => {
    await signIn(t1, 'twofa@browser-co.example', pw0);
    await t1.goto(`${base}/account`);
    await t1.click('button:has-text("Enroll a second factor")');
    secret = (await t1.textContent('#totp-secret')).trim();
    assert(/^[A-Z2-7]{16,}$/.test(secret), secret);
    await shot(t1, '25-totp-enroll');
    await t1.fill('input[name=code]', totp(secret));
    await t1.click('button:has-text("Turn it on")');
    codes = await t1.$$eval('#recovery-codes code', (l) => l.map((x) => x.textContent.trim()));
    assert(codes.length === 10, `${codes.length} recovery codes`);
    await shot(t1, '26-recovery-codes');
    await t1.goto(`${base}/account`);
    assert(!(await t1.$('#recovery-codes')), 'the codes are shown again');
    assert(/10 recovery codes left/.test(await t1.textContent('main')), 'codes left');
  });

  await step('sign in with a second factor: a wrong code, then the right one',
    async () => {
      await t1.click('button:has-text("Sign out")');
      await signIn(t1, 'twofa@browser-co.example', pw0);
      assert(pathOf(t1) === '/login/totp', `at ${t1.url()}`);
      await t1.goto(`${base}/orgs`);
      assert(pathOf(t1) === '/login/totp', `half signed in reached ${t1.url()}`);
      const good = totp(secret, 1);
      await t1.fill('input[name=code]', good === '000000' ? '111111' : '000000');
      await t1.click('button:has-text("Go on")');
      assert(pathOf(t1) === '/login/totp' && await t1.$('.error'), 'a wrong code taken');
      await shot(t1, '27-totp-wrong');
      await t1.fill('input[name=code]', good);
      await t1.click('button:has-text("Go on")');
      assert(pathOf(t1) === '/orgs', `after the code: ${t1.url()}`);
    });

  await step('a recovery code signs in once', async () => {
    const e = await newPage();
    await signIn(e, 'twofa@browser-co.example', pw0);
    assert(pathOf(e) === '/login/totp', `at ${e.url()}`);
    await e.fill('input[name=code]', codes[0]);
    await e.click('button:has-text("Go on")');
    assert(pathOf(e) === '/orgs', `with a recovery code: ${e.url()}`);
    const f = await newPage();
    await signIn(f, 'twofa@browser-co.example', pw0);
    await f.fill('input[name=code]', codes[0]);
    await f.click('button:has-text("Go on")');
    assert(pathOf(f) === '/login/totp' && await f.$('.error'), 'a recovery code worked twice');
    await t1.goto(`${base}/account`);
    assert(/9 recovery codes left/.test(await t1.textContent('main')), 'codes left');
  });

  await step('wrong passwords throttle that login from that address only',
    async () => {
      const x = await newPage({ 'X-Forwarded-For': '198.51.100.77' });
      let msg = '';
      for (let i = 0; i < 6 && !/Too many failed sign-ins/.test(msg); i++) {
        await signIn(x, 'locked@browser-co.example', 'wrong wrong wrong');
        msg = await x.textContent('.error');
      }
      assert(/Too many failed sign-ins/.test(msg), msg);
      await signIn(x, 'locked@browser-co.example', pw0);
      assert(pathOf(x) === '/login' &&
        /Too many failed sign-ins/.test(await x.textContent('.error')),
        'the right password got through the throttle');
      await shot(x, '28-throttled');
      const y = await newPage({ 'X-Forwarded-For': '203.0.113.5' });
      await signIn(y, 'locked@browser-co.example', pw0);
      assert(pathOf(y) === '/orgs', `from another address: ${y.url()}`);
    });

  await step('the Activity page lists what was done', async () => {
    await owner.goto(`${base}/activity`);
    const actions = await owner.$$eval('table.activity tbody tr td:nth-child(5)',
      (l) => l.map((x) => x.textContent.trim()));
    for (const a of ['account.password_changed', 'account.totp_enabled',
      'account.signed_in', 'account.reset_link_made', 'account.password_reset',
      'account.recovery_code_used'])
      assert(actions.includes(a), `${a} not in: ${[...new Set(actions)].join(',')}`);
    await owner.goto(`${base}/activity?action=account.sign_in_failed`);
    const rows = await owner.$$eval('table.activity tbody tr', (l) => l.map((x) => x.textContent));
    assert(rows.length >= 4 && rows.some((r) => r.includes('198.51.100.77')),
      `failed sign-ins: ${rows.length}`);
    await shot(owner, '29-activity');
  });
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
