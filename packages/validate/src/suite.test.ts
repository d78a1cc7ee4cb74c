import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedFixtures, refusalOf, tempDir, writeOversizeJson } from '#test-support';
import { MAX_CONFIG_FILE_BYTES } from '@cliphub/core';
import { loadSuite, mapBounded, runSuite } from './suite.js';
import { writeNoisyCandidate } from './test-utils/synthetic.js';
import { writeReports } from './write-reports.js';
import { summaryTable } from './summary-table.js';

const tmp = tempDir('cliphub-suite-');
const models = existsSync(path.join(generatedFixtures, 'models'))
  ? readdirSync(path.join(generatedFixtures, 'models')).sort()
  : [];
const suiteFile = path.join(tmp.dir, 'suite.yaml');

function suiteYaml(): string {
  const rows = models.map(
    (m) =>
      `  - name: ${m}\n    artifact: cand/${m}.safetensors#cand_fp16\n    reference: ${path.join(generatedFixtures, 'models', m, 'reference.safetensors')}\n    profile: fp16`,
  );
  return `concurrency: 3\nrows:\n${rows.join('\n')}\n`;
}

describe.skipIf(models.length < 6)('suite mode', () => {
  beforeAll(async () => {
    mkdirSync(path.join(tmp.dir, 'cand'));
    // fp16-sized deviations (relL2 5e-4) for every fixture model
    await Promise.all(
      models.map((m, i) =>
        writeNoisyCandidate(
          path.join(generatedFixtures, 'models', m, 'reference.safetensors'),
          path.join(tmp.dir, 'cand', `${m}.safetensors`),
          { rel: 5e-4, seed: i + 1 },
        ),
      ),
    );
    writeFileSync(suiteFile, suiteYaml());
  });
  afterAll(() => tmp.cleanup());

  it('runs >= 6 rows, stores a baseline, then flags a planted regression', async () => {
    const first = await runSuite(await loadSuite(suiteFile));
    expect(first.results).toHaveLength(models.length);
    expect(first.errors).toEqual([]);
    expect(
      first.results.filter((r) => r.verdict === 'fail').map((r) => [r.name, r.checks.filter((c) => !c.pass)]),
    ).toEqual([]);
    expect(first.baselineFound).toBe(false);
    expect(first.baselineWritten).toBe(true);
    const baseline = path.join(tmp.dir, 'suite.baseline.json');
    expect(existsSync(baseline)).toBe(true);

    // A rerun of the same artifacts is no regression.
    const again = await runSuite(await loadSuite(suiteFile));
    expect(again.regressions).toEqual([]);

    // Plant a regression: one candidate gets 4x the error, still inside the fp16 profile.
    const victim = models[2] as string;
    await writeNoisyCandidate(
      path.join(generatedFixtures, 'models', victim, 'reference.safetensors'),
      path.join(tmp.dir, 'cand', `${victim}.safetensors`),
      { rel: 2e-3, seed: 99 },
    );
    const worse = await runSuite(await loadSuite(suiteFile));
    expect(worse.results.every((r) => r.verdict === 'pass')).toBe(true);
    expect(worse.regressions.length).toBeGreaterThan(0);
    expect(new Set(worse.regressions.map((r) => r.row))).toEqual(new Set([victim]));
    expect(worse.regressions.map((r) => r.metric)).toContain('image.max_rel_l2');
    expect(worse.baselineWritten).toBe(false); // the old numbers stay the bar
    expect(summaryTable(worse.results, worse.regressions)).toMatch(
      new RegExp(`${victim}\\s+PASS\\s+fp16.*\\s[1-9]\\d*$`, 'm'),
    );

    const files = await writeReports(path.join(tmp.dir, 'report'), {
      results: worse.results,
      regressions: worse.regressions,
    });
    const json = JSON.parse(readFileSync(files.json, 'utf8')) as {
      verdict: string;
      results: unknown[];
      regressions: unknown[];
    };
    expect(json.verdict).toBe('fail');
    expect(json.results).toHaveLength(models.length);
    const junit = readFileSync(files.junit, 'utf8');
    expect(junit.match(/<testsuite /g)).toHaveLength(models.length);
    expect(junit).toMatch(/<testcase name="no regression against baseline"[^>]*>\s*<failure/);
    expect(readFileSync(files.html, 'utf8')).toMatch(/regression/);

    // Accepting the new numbers makes them the bar.
    const accepted = await runSuite(await loadSuite(suiteFile), { updateBaseline: true });
    expect(accepted.baselineWritten).toBe(true);
    expect((await runSuite(await loadSuite(suiteFile))).regressions).toEqual([]);
  });

  it('applies profiles defined in the suite', async () => {
    const f = path.join(tmp.dir, 'profiles.yaml');
    const m = models[0] as string;
    const row = (profile: string): string =>
      `  - name: ${profile}\n    artifact: cand/${m}.safetensors#cand_fp16\n    reference: ${path.join(generatedFixtures, 'models', m, 'reference.safetensors')}\n    profile: ${profile}`;
    writeFileSync(
      f,
      `profiles:\n  tight-fp16:\n    precision: fp16\n    maxRelL2: 1.0e-4\nrows:\n${row('tight-fp16')}\n${row('fp16')}\n`,
    );
    const r = await runSuite(await loadSuite(f));
    expect(r.results.map((x) => [x.name, x.profile.maxRelL2, x.verdict])).toEqual([
      ['tight-fp16', 1e-4, 'fail'],
      ['fp16', 5e-3, 'pass'],
    ]);
  });

  it('refuses an empty suite and rows without a reference (exit 2)', async () => {
    const empty = path.join(tmp.dir, 'empty.yaml');
    writeFileSync(empty, 'rows: []\n');
    await expect(loadSuite(empty)).rejects.toMatchObject({
      code: 'EMPTY_SUITE',
      exitCode: 2,
      message: expect.stringMatching(/has no rows/),
    });
    writeFileSync(empty, '');
    await expect(loadSuite(empty)).rejects.toMatchObject({ code: 'EMPTY_SUITE' });
    writeFileSync(empty, 'rows:\n  - artifact: x\n');
    await expect(loadSuite(empty)).rejects.toMatchObject({
      code: 'BAD_SUITE',
      message: expect.stringMatching(/row 1 needs reference/),
    });
    writeFileSync(empty, 'rows:\n  - artifact: x\n    reference: y\n    profle: fp16\n');
    await expect(loadSuite(empty)).rejects.toMatchObject({ message: expect.stringMatching(/unknown key 'profle'/) });
  });

  it('reports a row with bad input as an error without stopping the others', async () => {
    const f = path.join(tmp.dir, 'mixed.yaml');
    writeFileSync(
      f,
      `${suiteYaml()}  - name: missing\n    artifact: nowhere.safetensors\n    reference: ${path.join(generatedFixtures, 'models', models[0] as string, 'reference.safetensors')}\n`,
    );
    const r = await runSuite(await loadSuite(f));
    expect(r.results).toHaveLength(models.length);
    expect(r.errors).toEqual([
      { name: 'missing', message: expect.stringMatching(/nowhere.safetensors does not exist/) },
    ]);
    expect(r.baselineWritten).toBe(false);
  });
});

describe('mapBounded', () => {
  it('never has more than the limit in flight and keeps order', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapBounded([5, 1, 4, 2, 3, 0], 2, async (x) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, x));
      inFlight--;
      return x * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0]);
    expect(peak).toBe(2);
  });
});

describe('loadSuite on a hostile file', () => {
  const own = tempDir('cliphub-suite-hostile-');
  afterAll(own.cleanup);
  it('refuses an oversized suite with one exit-2 line, and a missing one as NOT_FOUND', async () => {
    const huge = writeOversizeJson(path.join(own.dir, 'huge-suite.yaml'), MAX_CONFIG_FILE_BYTES);
    expect(await refusalOf(() => loadSuite(huge))).toMatchObject({
      code: 'BAD_SUITE',
      exitCode: 2,
      message: expect.stringMatching(/^cannot read suite .*: suite .* is over 8 MiB/),
    });
    expect(await refusalOf(() => loadSuite(path.join(own.dir, 'missing.yaml')))).toMatchObject({ code: 'NOT_FOUND' });
  });
});
