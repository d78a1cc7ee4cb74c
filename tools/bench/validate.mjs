#!/usr/bin/env node
// `npm run bench:validate`: a benchmark, not a test. `cliphub validate` on a synthetic reference of
// N = 50,000 samples at D = 1,024 (BENCH_N / BENCH_DIM to change), against numpy computing the same
// metrics in the same run: wall time of each whole process (reading the files included) and the CLI's
// peak RSS, both from GNU time. Then the CLI's report.html is opened in headless Chromium.
// Limits (issue 15): peak RSS <= 1.5 GB, time <= 3x numpy's. Exit 1 when one is missed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const python = path.join(root, '.oracle/venv/bin/python');
const script = path.join(root, 'tools/bench/validate_numpy.py');
const cli = path.join(root, 'apps/cli/dist/bin.js');
const n = Number(process.env.BENCH_N ?? 50_000);
const dim = Number(process.env.BENCH_DIM ?? 1024);
const work = path.join(root, 'bench-out/validate', `${n}x${dim}`);
const ref = path.join(work, 'reference.safetensors');
const cand = path.join(work, 'candidate.safetensors');
const reportDir = path.join(work, 'report');
const CHROMIUM = '/usr/bin/chromium';
const MAX_RSS_MB = 1536;
const MAX_RATIO = 3;

if (!existsSync(python)) {
  console.error('bench:validate needs the oracle venv (numpy, safetensors): run `npm run oracle`');
  process.exit(2);
}
if (!existsSync(cli)) {
  console.error('bench:validate needs the built CLI: run `npm run build`');
  process.exit(2);
}
const { DEFAULT_BLOCK_ELEMENTS, DEFAULT_PROFILES, SPEARMAN_MAX_PAIRS } = await import(
  path.join(root, 'packages/validate/dist/index.js')
);
mkdirSync(work, { recursive: true });
if (!existsSync(cand)) {
  console.log(`generating ${n} x ${dim} reference and candidate embeddings with numpy (one-time)…`);
  const r = spawnSync(python, [script, 'make', work, String(n), String(dim), '1', '3e-3'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
}

/** Runs a command under GNU time; returns wall seconds, peak RSS in MB and the exit status. */
function measure(label, cmd, args, okStatus = [0]) {
  // Same start for both: the inputs in the page cache.
  for (const f of [ref, cand]) spawnSync('cat', [f], { stdio: ['ignore', 'ignore', 'inherit'] });
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (!okStatus.includes(r.status)) {
    console.error(`${label} failed (exit ${r.status}):\n${r.stderr.slice(-3000)}`);
    process.exit(1);
  }
  const wall = /Elapsed \(wall clock\) time \([^)]*\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const seconds = Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]);
  return { label, seconds, peakRssMB: Number(rss[1]) / 1024, status: r.status, stdout: r.stdout };
}

const tol = DEFAULT_PROFILES.fp32.maxCosSimDiff; // cand_fp32 is judged with the fp32 profile
const numpyJson = path.join(work, 'numpy.json');
const numpy = measure('numpy', python, [
  script,
  'metrics',
  ref,
  cand,
  'cand_fp32',
  numpyJson,
  String(tol),
  String(SPEARMAN_MAX_PAIRS),
  String(DEFAULT_BLOCK_ELEMENTS),
]);
rmSync(reportDir, { recursive: true, force: true });
// exit 1 is the expected verdict: the candidate's noise (relL2 3e-3) fails the fp32 profile
const ours = measure(
  'cliphub validate',
  process.execPath,
  [cli, 'validate', `${cand}#cand_fp32`, '--reference', ref, '--report', reportDir],
  [0, 1],
);

const report = JSON.parse(readFileSync(path.join(reportDir, 'report.json'), 'utf8'));
const sim = report.results[0].similarity;
const theirs = JSON.parse(readFileSync(numpyJson, 'utf8')).similarity;
const agree =
  sim.argmaxImageToText === theirs.argmaxImageToText &&
  sim.argmaxTextToImage === theirs.argmaxTextToImage &&
  Math.abs(sim.spearman - theirs.spearman) < 1e-6 &&
  Math.abs(sim.maxCosSimDiff - theirs.maxCosSimDiff) < 2e-6;

// The HTML report in headless Chromium: every figure drawn, no script error.
let browser = 'skipped (no /usr/bin/chromium; apt-get install -y chromium)';
if (existsSync(CHROMIUM)) {
  const { chromium } = await import('playwright-core');
  const b = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  const page = await b.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const t0 = performance.now();
  await page.goto(`file://${path.join(reportDir, 'report.html')}`);
  const figures = await page.$$eval('svg.chart', (els) =>
    els.map((e) => e.getBoundingClientRect().width * e.getBoundingClientRect().height),
  );
  const screenshot = path.join(work, 'report.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  await b.close();
  const drawn = figures.length > 0 && figures.every((a) => a > 0) && !errors.length;
  browser = `${drawn ? 'opens' : 'BROKEN'}: ${figures.length} figures in ${((performance.now() - t0) / 1000).toFixed(1)} s${errors.length ? `, errors: ${errors.join('; ')}` : ''} (screenshot ${path.relative(root, screenshot)})`;
  if (!drawn) process.exitCode = 1;
}

const mb = (f) => (statSync(path.join(reportDir, f)).size / 2 ** 20).toFixed(1);
const ratio = ours.seconds / numpy.seconds;
const lines = [
  `validate N = ${n}, D = ${dim} (${(n * n).toExponential(2)} image-text pairs)`,
  `  cliphub validate  ${ours.seconds.toFixed(1)} s   peak RSS ${ours.peakRssMB.toFixed(0)} MB (limit ${MAX_RSS_MB})`,
  `  numpy             ${numpy.seconds.toFixed(1)} s   peak RSS ${numpy.peakRssMB.toFixed(0)} MB`,
  `  time ratio        ${ratio.toFixed(2)}x (limit ${MAX_RATIO}x)`,
  `  metrics vs numpy  ${agree ? 'agree' : 'DIFFER'}: argmax i→t ${sim.argmaxImageToText} / ${theirs.argmaxImageToText}, t→i ${sim.argmaxTextToImage} / ${theirs.argmaxTextToImage}, Spearman ${sim.spearman} / ${theirs.spearman} over ${sim.spearmanPairs} pairs, max Δcos ${sim.maxCosSimDiff.toExponential(3)} / ${theirs.maxCosSimDiff.toExponential(3)}`,
  `  verdict           ${report.verdict}; diagnosis: ${report.results[0].diagnosis.map((d) => d.kind).join(', ') || '-'}`,
  `  reports           report.json ${mb('report.json')} MB, junit.xml ${mb('junit.xml')} MB, report.html ${mb('report.html')} MB`,
  `  report.html       ${browser}`,
];
console.log(lines.join('\n'));
writeFileSync(path.join(work, 'result.txt'), `${lines.join('\n')}\n`);
if (ours.peakRssMB > MAX_RSS_MB || ratio > MAX_RATIO || !agree) process.exitCode = 1;
