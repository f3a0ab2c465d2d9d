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
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
