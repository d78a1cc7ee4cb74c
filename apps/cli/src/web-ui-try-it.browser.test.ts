import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { generatedFixtures, hasOracle, tempDir } from '#test-support';
import { runMain } from './test-utils/run-main.js';
import { hasChromium, launchChromium } from '#test-support/chromium.js';
import { startServe, stopAll, type ServeProcess } from './test-utils/web-ui.js';

if (!hasChromium)
  console.warn('SKIPPED (try-it in a browser): /usr/bin/chromium is absent; apt-get install -y chromium');
if (!hasOracle) console.warn('SKIPPED (try-it in a browser): the oracle fixtures (tiny open_clip models) are absent');

const ALICE = `hf_alice_${randomBytes(12).toString('hex')}`;
const LABELS = ['a photo of a cat', 'a photo of a dog', 'a diagram'];

// The model: open_clip's tiny fixture (32x32 images) converted by `cliphub convert --to transformers.js` and pushed
// by `cliphub push` into a private repo, as a user would. The image is 32x32, so neither runtime resizes.
const FIXTURE = path.join(generatedFixtures, 'models', 'tiny-vit-quickgelu');

describe.skipIf(!hasChromium || !hasOracle)('try-it panel: zero-shot in the browser with transformers.js', () => {
  const tmp = tempDir('cliphub-try-it-');
  const layout = path.join(tmp.dir, 'models', 'tiny-tjs');
  const image = path.join(tmp.dir, 'image.png');
  let serve: ServeProcess;
  let browser: Browser;

  beforeAll(async () => {
    writeFileSync(path.join(tmp.dir, 'tokens'), `${ALICE} alice write acme\n`);
    const [started, image32] = await Promise.all([
      startServe(['--tokens', 'tokens', '--data', 'data'], tmp.dir),
      sharp(Buffer.from(Array.from({ length: 32 * 32 * 3 }, (_, i) => (i * 37 + (i >> 5) * 11) % 256)), {
        raw: { width: 32, height: 32, channels: 3 },
      })
        .png()
        .toBuffer(),
    ]);
    serve = started;
    writeFileSync(image, image32);
    const convert = await runMain(['convert', FIXTURE, '--to', 'transformers.js', '--out', layout, '--dtype', 'fp32'], {
      cwd: tmp.dir,
    });
    expect(convert.code, convert.err).toBe(0);
    const push = await runMain(['push', layout, '--repo', 'acme/tiny-tjs', '--private', '--hub-url', serve.url], {
      cwd: tmp.dir,
      env: { HF_TOKEN: ALICE, HOME: tmp.dir },
    });
    expect(push.code, push.err).toBe(0);
    expect(push.out).toContain('onnx/model.onnx');
    browser = await launchChromium();
  }, 300_000);

  afterAll(() => stopAll(browser, serve, tmp));

  it('refuses the private repo signed out; signed in, the browser probabilities equal Node transformers.js within 1e-4', async () => {
    const { env, pipeline } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = path.join(tmp.dir, 'models');
    const node = await pipeline('zero-shot-image-classification', 'tiny-tjs', { dtype: 'fp32' });
    const expected = (await node(image, LABELS, { hypothesis_template: '{}' })) as Array<{
      label: string;
      score: number;
    }>;
    await node.dispose();

    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    page.on('pageerror', (e) => errors.push(String(e)));
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const missing: string[] = [];
    page.on('response', (r) => void (r.status() === 404 && missing.push(new URL(r.url()).pathname)));
    for (const u of [
      '/acme/tiny-tjs',
      '/acme/tiny-tjs/resolve/main/onnx/model.onnx',
      '/acme/tiny-tjs/resolve/main/config.json',
    ])
      expect((await page.request.get(`${serve.url}${u}`)).status(), u).toBe(404);

    await page.goto(`${serve.url}/login?next=/acme/tiny-tjs`);
    await page.fill('#token', ALICE);
    await Promise.all([page.waitForURL(/\/acme\/tiny-tjs$/), page.click('#login-submit')]);
    expect(await page.locator('#try-it').count()).toBe(1);
    await page.setInputFiles('#try-image', image);
    await page.fill('#try-labels', LABELS.join(', '));
    await page.click('#try-run');
    await page.waitForSelector('#try-status[data-state="done"], #try-status[data-state="error"]', { timeout: 120_000 });
    expect(await page.locator('#try-status').textContent()).toBe('Done.');
    const got = await page
      .locator('#try-results tr')
      .evaluateAll((rows) =>
        rows.map((r) => ({ label: r.getAttribute('data-label'), score: Number(r.getAttribute('data-prob')) })),
      );
    expect(got.map((g) => g.label)).toEqual(expected.map((e) => e.label));
    const worst = Math.max(...got.map((g, i) => Math.abs(g.score - (expected[i] as { score: number }).score)));
    console.log(`try-it: browser vs Node transformers.js, max |Δp| = ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-4);
    // everything came from this server: the library, ORT's WASM and the model
    const origin = new URL(serve.url).origin;
    expect(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:'))).toEqual(
      [],
    );
    expect(requests.some((u) => u.endsWith('.wasm'))).toBe(true);
    expect(missing).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 300_000);
});
