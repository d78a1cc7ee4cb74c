import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesSource, openSafetensors, writeSafetensors } from '@cliphub/safetensors';
import { generatedFixtures, needsShared, repoRoot, sharedFixtures, tempDir } from '#test-support';
import { runMain, type MainResult } from '../test-utils/run-main.js';

const tmp = tempDir('cliphub-cli-validate-');
function cli(...argv: string[]): Promise<MainResult> {
  return runMain(['validate', ...argv], { env: {}, cwd: tmp.dir });
}

const models = existsSync(path.join(generatedFixtures, 'models'))
  ? readdirSync(path.join(generatedFixtures, 'models')).sort()
  : [];
const model = (m: string): string => path.join(generatedFixtures, 'models', m);
const ref = (m: string): string => path.join(model(m), 'reference.safetensors');
// The command runs @cliphub/validate from its build (dist), like the installed CLI does.
const built = existsSync(path.join(repoRoot, 'packages/validate/dist/index.js'));
if (!built)
  console.warn(
    'SKIPPED (cliphub validate): packages/validate/dist is missing; run npx turbo run build --filter=cliphub...',
  );

/** A copy of a fixture checkpoint dir whose visual.proj is scaled by `factor` (1 = untouched). */
async function checkpointCopy(m: string, dir: string, factor: number): Promise<void> {
  mkdirSync(dir, { recursive: true });
  copyFileSync(path.join(model(m), 'open_clip_config.json'), path.join(dir, 'open_clip_config.json'));
  const src = await openSafetensors(path.join(model(m), 'open_clip_model.safetensors'));
  const tensors = [];
  for (const [name, info] of src.header.tensors) {
    let bytes = await src.readTensor(name);
    if (name === 'visual.proj' && factor !== 1)
      bytes = new Uint8Array(
        new Float32Array(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).map((v) => v * factor))
          .buffer,
      );
    tensors.push(bytesSource(name, info.dtype, info.shape, bytes));
  }
  await src.close();
  await writeSafetensors(path.join(dir, 'open_clip_model.safetensors'), tensors);
}

describe.skipIf(!built || models.length < 6)('cliphub validate', () => {
  beforeAll(async () => {
    await checkpointCopy('tiny-vit-gelu', path.join(tmp.dir, 'ckpt-gelu'), 1);
  });
  afterAll(() => tmp.cleanup());

  it('passes a checkpoint dir exported on the fly, writing JSON, JUnit and HTML reports (exit 0)', async () => {
    const r = await cli(
      model('tiny-vit-gelu'),
      '--reference',
      ref('tiny-vit-gelu'),
      '--report',
      'rep',
      '--junit',
      'one.xml',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/tiny-vit-gelu\s+PASS\s+fp32/);
    for (const f of ['report.json', 'junit.xml', 'report.html'])
      expect(existsSync(path.join(tmp.dir, 'rep', f))).toBe(true);
    expect(readFileSync(path.join(tmp.dir, 'one.xml'), 'utf8')).toMatch(
      /<testcase name="image tower \(fp32 vs cpu_fp32\)"/,
    );
  });

  it('fails another model with the same shapes (exit 1) and --json says why', async () => {
    const r = await cli(model('tiny-vit-quickgelu'), '--reference', ref('tiny-vit-gelu'), '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as { verdict: string; results: Array<{ diagnosis: Array<{ kind: string }> }> };
    expect(j.verdict).toBe('fail');
    expect(j.results[0]?.diagnosis.map((d) => d.kind)).toContain('weights-mismatch');
  });

  it('takes threshold overrides from --profiles (YAML)', async () => {
    writeFileSync(path.join(tmp.dir, 'p.yaml'), 'profiles:\n  impossible:\n    precision: fp32\n    minCosine: 1.5\n');
    const r = await cli(
      model('tiny-vit-gelu'),
      '--reference',
      ref('tiny-vit-gelu'),
      '--profiles',
      'p.yaml',
      '--profile',
      'impossible',
    );
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/tiny-vit-gelu\s+FAIL\s+impossible/);
  });

  it('exits 2 naming the problem for bad input', async () => {
    const noKeys = path.join(tmp.dir, 'nokeys.safetensors');
    await writeSafetensors(noKeys, [bytesSource('logit_scale', 'F32', [], new Uint8Array(4))]);
    const cases: Array<[string[], RegExp]> = [
      [[model('tiny-vit-gelu'), '--reference', noKeys], /missing tensor 'inputs.pixel_values'/],
      [
        [model('tiny-siglip-like'), '--reference', ref('tiny-vit-gelu')],
        /tiny-siglip-like: exported vision.onnx gives image_embeds of shape \[4, 32\] but the reference has \[4, 16\]/,
      ],
      [[model('tiny-vit-gelu')], /--reference FILE is required/],
      [[model('tiny-vit-gelu'), '--reference', ref('tiny-vit-gelu'), '--profile', 'fp8'], /unknown profile 'fp8'/],
      [
        [model('tiny-vit-gelu'), '--reference', ref('tiny-vit-gelu'), '--against', 'cuda_fp32'],
        /has no 'cuda_fp32' embeddings; it has cpu_fp32/,
      ],
    ];
    for (const [args, msg] of cases) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
    writeFileSync(path.join(tmp.dir, 'empty.yaml'), 'rows: []\n');
    const empty = await cli('--suite', 'empty.yaml');
    expect(empty.code).toBe(2);
    expect(empty.err).toMatch(/empty.yaml has no rows/);
  });

  it('runs a suite of >= 6 rows in one command, writes reports and catches a planted regression', async () => {
    const rows = [
      ...models.map((m) => `  - name: ${m}\n    artifact: ${model(m)}\n    reference: ${ref(m)}`),
      `  - name: gelu-copy\n    artifact: ckpt-gelu\n    reference: ${ref('tiny-vit-gelu')}\n    profile: fp32`,
    ];
    writeFileSync(path.join(tmp.dir, 'suite.yaml'), `concurrency: 3\nrows:\n${rows.join('\n')}\n`);
    const first = await cli('--suite', 'suite.yaml', '--report', 'suite-report');
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out.match(/ PASS /g)).toHaveLength(models.length + 1);
    expect(first.out).toMatch(/baseline stored/);
    const json = JSON.parse(readFileSync(path.join(tmp.dir, 'suite-report/report.json'), 'utf8')) as {
      results: unknown[];
    };
    expect(json.results).toHaveLength(models.length + 1);
    expect(
      readFileSync(path.join(tmp.dir, 'suite-report/junit.xml'), 'utf8').match(/<testcase /g)?.length,
    ).toBeGreaterThanOrEqual(3 * (models.length + 1) - 2);
    expect(readFileSync(path.join(tmp.dir, 'suite-report/report.html'), 'utf8')).toMatch(/<svg class="chart heatmap"/);

    // Planted regression: scale visual.proj by 1+2e-5, small enough to pass fp32, but worse than the baseline.
    await checkpointCopy('tiny-vit-gelu', path.join(tmp.dir, 'ckpt-gelu'), 1 + 2e-5);
    const second = await cli('--suite', 'suite.yaml', '--junit', 'suite.xml');
    expect(second.code).toBe(1);
    expect(second.out).toMatch(/gelu-copy\s+PASS/);
    expect(second.out).toMatch(/regression: gelu-copy: image.max_rel_l2 got worse/);
    expect(second.out).not.toMatch(/regression: tiny-/);
    expect(second.out).toMatch(/baseline kept/);
    expect(readFileSync(path.join(tmp.dir, 'suite.xml'), 'utf8')).toMatch(/metric\(s\) worse than the baseline/);
  });
});

describe.skipIf(!built || !needsShared('GPU embeddings through the CLI'))(
  'cliphub validate with GPU-made candidates',
  () => {
    it('cuda_bf16-autocast passes --profile auto and fails --profile fp32', async () => {
      const file = path.join(sharedFixtures as string, 'tiny/tiny-vit-gelu/reference.safetensors');
      expect((await cli(`${file}#cuda_bf16-autocast`, '--reference', file)).code).toBe(0);
      const strict = await cli(`${file}#cuda_bf16-autocast`, '--reference', file, '--profile', 'fp32');
      expect(strict.code).toBe(1);
      expect(strict.out).toMatch(/deviates like bf16 arithmetic.*--profile bf16/);
    });
  },
);
