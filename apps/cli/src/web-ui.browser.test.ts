import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { generatedFixtures, hasOracle, pythonJsonAsync, repoRoot, tempDir } from '#test-support';
import { runMain } from './test-utils/run-main.js';
import { hasChromium, launchChromium } from '#test-support/chromium.js';
import { startServe, stopAll, type ServeProcess } from './test-utils/web-ui.js';

if (!hasChromium)
  console.warn('SKIPPED (web UI in a browser): /usr/bin/chromium is absent; apt-get install -y chromium');
if (!hasOracle) console.warn('SKIPPED (web UI in a browser): the oracle venv (Python huggingface_hub) is absent');

const TOKENS = {
  alice: `hf_alice_${randomBytes(12).toString('hex')}`,
  bob: `hf_bob_${randomBytes(12).toString('hex')}`,
  carol: `hf_carol_${randomBytes(12).toString('hex')}`,
};
const fixture = (f: string): string => path.join(generatedFixtures, 'models', 'tiny-vit-gelu', f);
const screenshot = path.join(repoRoot, 'test/.tmp/hub-model-page.png');

// What `cliphub validate --json` writes (apps/validate toJson), reduced to what the summary reads.
const report = {
  tool: 'cliphub validate',
  version: 1,
  verdict: 'pass',
  results: [
    {
      name: 'onnx',
      reference: { path: '/x/reference.safetensors', against: 'cpu_fp32', modelName: 'tiny-vit-gelu' },
      profile: { name: 'fp32' },
      towers: [
        { tower: 'image', minCosine: 0.99999988, meanCosine: 0.99999994, maxAbs: 4.2e-7, maxRelL2: 3.1e-7 },
        { tower: 'text', minCosine: 0.99999975, meanCosine: 0.99999991, maxAbs: 2.5e-7, maxRelL2: 2.2e-7 },
      ],
      checks: [
        { id: 'image.min_cosine', group: 'image', value: 0.99999988, limit: 0.99999, pass: true },
        { id: 'text.min_cosine', group: 'text', value: 0.99999975, limit: 0.99999, pass: true },
      ],
      verdict: 'pass',
    },
  ],
  regressions: [],
  errors: [],
};

const PY_CARD = `---
license: mit
tags:
- clip
cliphub:
  architecture: RN50
  family: modified-resnet
  activation: quick_gelu
  params: 102007137
---
# Py model

A model pushed with Python huggingface_hub.

## Results

| Dataset | Top-1 |
| --- | --- |
| ImageNet-1k | 0.5982 |
`;

const XSS_CARD = [
  '# XSS card',
  "<script>alert('script')</script>",
  '<img src=x onerror="alert(\'img\')">',
  "[click me](javascript:alert('link'))",
  '<a id="mixed" href="JaVaScRiPt:alert(\'mixed\')">mixed</a>',
  '<svg onload="alert(\'svg\')"><script>alert(\'svg-script\')</script><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
  '<iframe src="javascript:alert(\'iframe\')"></iframe>',
  '<p onmouseover="alert(\'hover\')" id="hover-me">hover me</p>',
  '',
].join('\n\n');

// An uploaded `cliphub validate --html` report; its script must not run (it is framed under a sandbox CSP).
const REPORT_HTML =
  "<!doctype html><html><body><h1>Validation report</h1><p id='towers'>2 towers pass</p><script>alert('report')</script></body></html>";

const PY_PUSH = `
import json, os, sys
from huggingface_hub import HfApi
d = sys.argv[1]
ep = os.environ['HF_ENDPOINT']
alice = HfApi(endpoint=ep, token=os.environ['ALICE'])
carol = HfApi(endpoint=ep, token=os.environ['CAROL'])
alice.create_repo('acme/py-model', exist_ok=True)
alice.upload_folder(repo_id='acme/py-model', folder_path=os.path.join(d, 'py'), commit_message='Add the model from Python')
alice.create_branch('acme/py-model', branch='dev')
alice.upload_file(path_or_fileobj=b'dev notes\\n', path_in_repo='DEV.md', repo_id='acme/py-model', revision='dev', commit_message='Notes on dev')
pr = alice.upload_file(path_or_fileobj=b'a proposal\\n', path_in_repo='PROPOSAL.md', repo_id='acme/py-model', create_pr=True, commit_message='Propose a change')
alice.upload_file(path_or_fileobj=os.path.join(d, 'report.html'), path_in_repo='report.html', repo_id='acme/tiny-vit', commit_message='Add the HTML report')
alice.create_repo('acme/vit-other', exist_ok=True)
alice.upload_file(path_or_fileobj=b'---\\ncliphub:\\n  family: native-vit\\n  activation: gelu\\n  params: 151277313\\n---\\n# Other\\n', path_in_repo='README.md', repo_id='acme/vit-other')
alice.create_repo('acme/secret', private=True, exist_ok=True)
alice.upload_file(path_or_fileobj=b'---\\nlicense: mit\\n---\\n# Secret model\\n', path_in_repo='README.md', repo_id='acme/secret')
alice.upload_file(path_or_fileobj=os.path.join(d, 'secret.bin'), path_in_repo='weights.bin', repo_id='acme/secret')
carol.create_repo('carol/xss', exist_ok=True)
carol.upload_file(path_or_fileobj=os.path.join(d, 'xss.md'), path_in_repo='README.md', repo_id='carol/xss')
print(json.dumps({'pr': pr.pr_url, 'listed': sorted(m.id for m in HfApi(endpoint=ep).list_models(search='vit'))}))
`;

describe.skipIf(!hasChromium || !hasOracle)(
  'web UI of cliphub serve, in headless Chromium',
  { timeout: 180_000 },
  () => {
    const tmp = tempDir('cliphub-web-ui-');
    let serve: ServeProcess;
    let browser: Browser;
    const htmlSeen: string[] = [];

    async function open(page: Page, url: string): Promise<number> {
      const res = await page.goto(url);
      htmlSeen.push(await page.content());
      return res?.status() ?? 0;
    }

    beforeAll(async () => {
      const d = tmp.dir;
      writeFileSync(
        path.join(d, 'tokens'),
        `${TOKENS.alice} alice write acme\n${TOKENS.bob} bob read acme\n${TOKENS.carol} carol write\n`,
      );
      serve = await startServe(['--tokens', 'tokens', '--data', 'data'], d);
      // a model pushed by cliphub, with a validation report
      mkdirSync(path.join(d, 'model'));
      for (const f of ['open_clip_model.safetensors', 'open_clip_config.json'])
        copyFileSync(fixture(f), path.join(d, 'model', f));
      writeFileSync(path.join(d, 'validation.json'), JSON.stringify(report));
      const pushed = await runMain(
        ['push', 'model', '--repo', 'acme/tiny-vit', '--hub-url', serve.url, '--validation', 'validation.json'],
        { env: { HF_TOKEN: TOKENS.alice, HOME: d }, cwd: d },
      );
      expect(pushed.code, pushed.err).toBe(0);
      // repos pushed by Python huggingface_hub: files in folders, an LFS file, a branch, a PR, a private repo
      mkdirSync(path.join(d, 'py', 'sub'), { recursive: true });
      writeFileSync(path.join(d, 'py', 'README.md'), PY_CARD);
      writeFileSync(path.join(d, 'py', 'model.safetensors'), randomBytes(300_000));
      writeFileSync(path.join(d, 'py', 'config.json'), '{"arch": "RN50"}\n');
      writeFileSync(path.join(d, 'py', 'sub', 'notes.txt'), 'notes\n');
      writeFileSync(path.join(d, 'secret.bin'), randomBytes(5000));
      writeFileSync(path.join(d, 'xss.md'), XSS_CARD);
      writeFileSync(path.join(d, 'report.html'), REPORT_HTML);
      const py = await pythonJsonAsync<{ listed: string[] }>(PY_PUSH, [d], {
        HF_ENDPOINT: serve.url,
        HF_HUB_DISABLE_XET: '1',
        HF_HUB_DISABLE_TELEMETRY: '1',
        HF_HOME: path.join(d, 'hf-home'),
        ALICE: TOKENS.alice,
        CAROL: TOKENS.carol,
      });
      // Python's list_models reads GET /api/models (anonymous: public repos only)
      expect(py.listed).toEqual(['acme/tiny-vit', 'acme/vit-other']);
      browser = await launchChromium();
    }, 300_000);

    afterAll(() => stopAll(browser, serve, tmp));

    it('lists every public repo and no private one; search and filters narrow the list', async () => {
      const page = await browser.newPage();
      expect(await open(page, serve.url)).toBe(200);
      const listed = async (): Promise<string[]> =>
        (
          await page.locator('li.model').evaluateAll((els) => els.map((e) => e.getAttribute('data-repo')))
        ).sort() as string[];
      expect(await listed()).toEqual(['acme/py-model', 'acme/tiny-vit', 'acme/vit-other', 'carol/xss']);
      const api = (await (await fetch(`${serve.url}/api/models`)).json()) as Array<{ id: string }>;
      expect(api.map((m) => m.id).sort()).toEqual(await listed());

      await page.fill('#search', 'VIT');
      await Promise.all([page.waitForURL(/search=VIT/), page.click('#filters button[type=submit]')]);
      expect(await listed()).toEqual(['acme/tiny-vit', 'acme/vit-other']);

      await page.fill('#search', '');
      await page.selectOption('#family', 'modified-resnet');
      await Promise.all([page.waitForURL(/family=modified-resnet/), page.click('#filters button[type=submit]')]);
      expect(await listed()).toEqual(['acme/py-model']);
      await page.goto(`${serve.url}/?activation=gelu&params=100m-500m`);
      expect(await listed()).toEqual(['acme/vit-other']);
      // newest first: the last repo pushed leads
      await page.goto(`${serve.url}/?sort=lastModified`);
      expect(await page.locator('li.model').first().getAttribute('data-repo')).toBe('carol/xss');
      await page.close();
    });

    it('renders the model page: card, front matter, files with the API sizes, history, branches and PRs, downloads', async () => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
      expect(await open(page, `${serve.url}/acme/py-model`)).toBe(200);
      expect(await page.locator('#card-body h1').textContent()).toBe('Py model');
      expect(await page.locator('#card-body h2').textContent()).toBe('Results');
      expect(await page.locator('#card-body table td').allTextContents()).toEqual(['ImageNet-1k', '0.5982']);
      const fm = await page.locator('#front-matter tr').allTextContents();
      expect(fm.some((r) => r.includes('license') && r.includes('mit'))).toBe(true);

      const api = (await (await fetch(`${serve.url}/api/models/acme/py-model/tree/main`)).json()) as Array<{
        type: string;
        path: string;
        size: number;
        lfs?: unknown;
      }>;
      const rows = await page.locator('#files tr[data-path]').evaluateAll((els) =>
        els.map((e) => ({
          path: e.getAttribute('data-path'),
          size: Number(e.getAttribute('data-size')),
          lfs: !!e.querySelector('.lfs'),
        })),
      );
      const apiFiles = api.filter((e) => e.type === 'file').map((e) => ({ path: e.path, size: e.size, lfs: !!e.lfs }));
      expect(rows).toEqual(apiFiles);
      expect(rows.find((r) => r.path === 'model.safetensors')?.lfs).toBe(true);
      expect(await page.locator('#files tr[data-dir]').getAttribute('data-dir')).toBe('sub');

      // a download link gives the exact bytes
      const href = await page
        .locator('#files tr[data-path="model.safetensors"] a[download]')
        .evaluate((a) => (a as unknown as { href: string }).href); // relative to the page's <base>: …/resolve/COMMIT/
      expect(href).toMatch(/\/acme\/py-model\/resolve\/[0-9a-f]{40}\/model\.safetensors$/);
      const got = Buffer.from(await (await page.request.get(href)).body());
      expect(got.equals(readFileSync(path.join(tmp.dir, 'py', 'model.safetensors')))).toBe(true);
      // in-page links stay on the page despite the <base>
      await page.click('nav.sections a[href$="#files"]');
      expect(page.url()).toBe(`${serve.url}/acme/py-model#files`);

      const history = await page.locator('#history li').allTextContents();
      expect(history[0]).toContain('Add the model from Python');
      expect(
        await page.locator('#branches li').evaluateAll((els) => els.map((e) => e.getAttribute('data-ref'))),
      ).toEqual(expect.arrayContaining(['main', 'dev']));
      expect(await page.locator('#pull-requests li').getAttribute('data-ref')).toBe('refs/pr/1');
      // the PR's own page shows its file
      await page.click('#pull-requests a');
      await page.waitForURL(/refs\/pr\/1/);
      expect(await page.locator('#files tr[data-path="PROPOSAL.md"]').count()).toBe(1);
      // a folder
      await page.goto(`${serve.url}/acme/py-model`);
      await page.click('#files tr[data-dir] a');
      expect(await page.locator('#files tr[data-path]').getAttribute('data-path')).toBe('sub/notes.txt');

      mkdirSync(path.dirname(screenshot), { recursive: true });
      await page.goto(`${serve.url}/acme/py-model`);
      await page.screenshot({ path: screenshot, fullPage: true });
      expect(errors).toEqual([]);
      await page.close();
    });

    it('shows the validation summary that cliphub push --validation committed', async () => {
      const page = await browser.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      expect(await open(page, `${serve.url}/acme/tiny-vit`)).toBe(200);
      expect(await page.locator('#verdict').getAttribute('data-passed')).toBe('true');
      expect(await page.locator('#verdict').textContent()).toContain('passed');
      for (const t of report.results[0]!.towers) {
        const cells = page.locator(`#validation-rows tr[data-tower="${t.tower}"] td[data-value]`);
        const values = (await cells.evaluateAll((els) =>
          els.map((e) => Number(e.getAttribute('data-value'))),
        )) as number[];
        expect(values).toEqual([t.minCosine, t.meanCosine, t.maxAbs, t.maxRelL2]);
      }
      // the uploaded report.html, framed, its script inert
      const frame = page.frameLocator('#report-frame');
      expect(await frame.locator('#towers').textContent()).toBe('2 towers pass');
      const framed = await fetch(`${serve.url}${await page.locator('#report-link').getAttribute('href')}`);
      expect(framed.headers.get('content-security-policy')).toMatch(/^sandbox;/);
      await page.waitForTimeout(300);
      expect(dialogs).toEqual([]);
      await page.close();
    });

    it('runs nothing from a hostile card: no dialog, no console error, no script, handler or javascript: URL', async () => {
      const page = await browser.newPage();
      const dialogs: string[] = [];
      const errors: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
      page.on('pageerror', (e) => errors.push(String(e)));
      expect(await open(page, `${serve.url}/carol/xss`)).toBe(200);
      await page.hover('#card-body').catch(() => undefined);
      for (const a of await page.locator('#card-body a').all()) await a.click({ timeout: 2000 }).catch(() => undefined);
      await page.goto(`${serve.url}/carol/xss`);
      await page.waitForTimeout(500);
      expect(dialogs).toEqual([]);
      expect(errors).toEqual([]);
      const card = await page.locator('#card-body').innerHTML();
      expect(card).toContain('XSS card');
      expect(card).not.toMatch(/<script|<svg|<iframe|onerror|onload|onmouseover|javascript:/i);
      const res = await fetch(`${serve.url}/carol/xss`);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
      expect(csp).not.toMatch(/unsafe-inline|'unsafe-eval'/);
      await page.close();
    });

    it('shows a private repo only to its signed-in owner, signs out, and never writes through a session', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const secretUrls = ['/acme/secret', '/acme/secret/resolve/main/weights.bin', '/api/models/acme/secret'];
      for (const u of secretUrls) expect((await page.request.get(`${serve.url}${u}`)).status(), u).toBe(404);
      expect(await open(page, `${serve.url}/acme/secret`)).toBe(404);

      await page.goto(`${serve.url}/login?next=/acme/secret`);
      await page.fill('#token', TOKENS.carol); // not a member of acme
      await Promise.all([page.waitForURL(/\/acme\/secret$/), page.click('#login-submit')]);
      expect(await page.locator('#signed-in-user').textContent()).toBe('carol');
      expect((await page.request.get(`${serve.url}/acme/secret`)).status()).toBe(404);
      await page.click('#sign-out');

      await page.goto(`${serve.url}/login?next=/acme/secret`);
      await page.fill('#token', 'hf_not_a_real_token_0000');
      await page.click('#login-submit');
      expect(await page.locator('#login-error').count()).toBe(1);
      await page.fill('#token', TOKENS.alice);
      await Promise.all([page.waitForURL(/\/acme\/secret$/), page.click('#login-submit')]);
      htmlSeen.push(await page.content());
      expect(await page.locator('#card-body h1').textContent()).toBe('Secret model');
      const cookie = (await context.cookies()).find((c) => c.name === 'cliphub_session');
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
      expect(cookie?.value).not.toContain(TOKENS.alice);
      for (const u of secretUrls) expect((await page.request.get(`${serve.url}${u}`)).status(), u).toBe(200);
      const weights = Buffer.from(
        await (await page.request.get(`${serve.url}/acme/secret/resolve/main/weights.bin`)).body(),
      );
      expect(weights.equals(readFileSync(path.join(tmp.dir, 'secret.bin')))).toBe(true);
      await page.goto(serve.url);
      htmlSeen.push(await page.content());
      expect(await page.locator('li.model[data-repo="acme/secret"]').count()).toBe(1);

      // a session only reads: a write with the cookie alone is refused as anonymous
      const write = await page.request.post(`${serve.url}/api/repos/create`, { data: { name: 'acme/by-cookie' } });
      expect(write.status()).toBe(401);

      await Promise.all([page.waitForURL(`${serve.url}/`), page.click('#sign-out')]);
      expect(await page.locator('#sign-in').count()).toBe(1);
      for (const u of secretUrls) expect((await page.request.get(`${serve.url}${u}`)).status(), u).toBe(404);
      await context.close();

      // a read token cannot reach write actions
      const bob = { Authorization: `Bearer ${TOKENS.bob}`, 'Content-Type': 'application/json' };
      expect(
        (await fetch(`${serve.url}/api/repos/create`, { method: 'POST', headers: bob, body: '{"name":"acme/x"}' }))
          .status,
      ).toBe(403);
      expect(
        (
          await fetch(`${serve.url}/api/models/acme/py-model/commit/main`, {
            method: 'POST',
            headers: { ...bob, 'Content-Type': 'application/x-ndjson' },
            body: '{"key":"header","value":{"summary":"x"}}\n',
          })
        ).status,
      ).toBe(403);
      expect(
        (await fetch(`${serve.url}/acme/secret`, { headers: { Authorization: `Bearer ${TOKENS.bob}` } })).status,
      ).toBe(200);

      // no token in any page the browser saw, nor in the server's log
      const log = serve.log();
      expect(log).toMatch(/POST \/login 303/);
      for (const t of Object.values(TOKENS)) {
        for (const h of htmlSeen) expect(h).not.toContain(t);
        expect(log).not.toContain(t);
      }
    });
  },
);
