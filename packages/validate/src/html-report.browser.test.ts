import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { generatedFixtures, repoRoot, tempDir } from '#test-support';
import { CHROMIUM, hasChromium, launchChromium } from '#test-support/chromium.js';
import { toHtmlReport } from './html-report.js';
import { writeNoisyCandidate } from './test-utils/synthetic.js';
import { validateArtifact, type ValidationResult } from './validate.js';

if (!hasChromium)
  console.warn(
    `SKIPPED (HTML report in a browser): ${CHROMIUM} is absent; install it with: apt-get install -y chromium`,
  );
const ref = (m: string): string => path.join(generatedFixtures, 'models', m, 'reference.safetensors');
const tmp = tempDir('cliphub-html-');
// Kept after the run so a person can look at it (gitignored).
const screenshot = path.join(repoRoot, 'test/.tmp/validate-report.png');

describe.skipIf(!hasChromium || !existsSync(ref('tiny-vit-gelu')))('HTML report in headless Chromium', () => {
  let browser: Browser;
  let results: ValidationResult[];
  beforeAll(async () => {
    const pass = path.join(tmp.dir, 'pass.safetensors');
    const fail = path.join(tmp.dir, 'fail.safetensors');
    await writeNoisyCandidate(ref('tiny-vit-gelu'), pass, { rel: 5e-4, seed: 1 });
    await writeNoisyCandidate(ref('tiny-vit-quickgelu'), fail, { rel: 0.3, seed: 2, key: 'cand_fp32' });
    results = [
      await validateArtifact({
        name: 'tiny-vit-gelu fp16',
        artifact: pass,
        reference: ref('tiny-vit-gelu'),
        profile: 'fp16',
      }),
      await validateArtifact({
        name: 'tiny-vit-quickgelu broken',
        artifact: fail,
        reference: ref('tiny-vit-quickgelu'),
        profile: 'fp32',
      }),
    ];
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    tmp.cleanup();
  });

  it('renders every figure with a nonzero size, offline, and saves a screenshot', async () => {
    const file = path.join(tmp.dir, 'report.html');
    writeFileSync(file, toHtmlReport(results, { title: 'browser test' }));
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`file://${file}`);
    const figures = await page.$$eval('svg.chart', (els) =>
      els.map((e) => ({
        cls: e.getAttribute('class'),
        w: e.getBoundingClientRect().width,
        h: e.getBoundingClientRect().height,
        shapes: e.querySelectorAll('rect,circle,line').length,
      })),
    );
    // per model: 1 error-bar chart, 2 histograms, 3 heatmaps
    expect(figures).toHaveLength(12);
    for (const f of figures) {
      expect(f.w).toBeGreaterThan(100);
      expect(f.h).toBeGreaterThan(100);
      expect(f.shapes).toBeGreaterThan(3);
    }
    const cells = await page.$$eval(
      'svg.heatmap rect.cell',
      (els) => els.filter((e) => e.getBoundingClientRect().width > 0).length,
    );
    expect(cells).toBe(2 * 3 * 16);
    expect(await page.locator('section.model.fail .diag').count()).toBeGreaterThan(0);
    expect(await page.locator('#summary .badge.pass').count()).toBe(1);
    // the inline script works: "failures only" hides the passing model
    await page.check('#failonly');
    expect(await page.locator('section.model.pass').isHidden()).toBe(true);
    await page.uncheck('#failonly');
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    mkdirSync(path.dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(existsSync(screenshot)).toBe(true);
    await page.close();
  });
});
