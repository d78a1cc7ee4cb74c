#!/usr/bin/env node
// Builds the Python oracle (real open_clip, torch, onnxruntime) and the generated test fixtures once.
// Both are cached under .oracle/ and .cache/ and rebuilt only when their recipe changes.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const venv = path.join(root, '.oracle/venv');
const python = path.join(venv, 'bin/python');

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`oracle: '${cmd} ${args.join(' ')}' failed (exit ${r.status})`);
    process.exit(1);
  }
}

function digest(files) {
  const h = createHash('sha256');
  for (const f of files) h.update(readFileSync(path.join(root, f)));
  return h.digest('hex');
}

function runAsync(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', cwd: root });
    child.on('error', () => resolve(1));
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

async function stamped(stampFile, hash, build) {
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === hash) return;
  await build();
  mkdirSync(path.dirname(stampFile), { recursive: true });
  writeFileSync(stampFile, hash);
}

// Serialize concurrent runs (parallel test workers or shells): the second waits, then finds the stamps.
if (!process.env.CLIPHUB_ENSURE_LOCKED) {
  mkdirSync(path.join(root, '.oracle'), { recursive: true });
  const r = spawnSync('flock', [path.join(root, '.oracle/.lock'), process.execPath, fileURLToPath(import.meta.url)], {
    stdio: 'inherit',
    env: { ...process.env, CLIPHUB_ENSURE_LOCKED: '1' },
  });
  if (!r.error) process.exit(r.status ?? 1);
  // no flock on this system: run unlocked
}

if (process.env.CLIPHUB_ORACLE === 'off') {
  console.log('oracle: CLIPHUB_ORACLE=off, oracle-backed tests will be skipped');
  process.exit(0);
}

await stamped(path.join(root, '.oracle/venv.stamp'), digest(['tools/oracle/setup.sh']), () => {
  rmSync(venv, { recursive: true, force: true });
  console.log('oracle: building the Python venv (about a minute)…');
  run('bash', ['tools/oracle/setup.sh', venv]);
});

// Every tools/fixtures/make_*.py writes its fixtures under .cache/fixtures/; any change there rebuilds all.
const fixtureDir = 'tools/fixtures';
// The zoo/ plug-ins (how each architecture family shrinks) are part of the recipe too.
const fixtureFiles = readdirSync(path.join(root, fixtureDir), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.py') && !f.includes('__pycache__'))
  .sort();
await stamped(
  path.join(root, '.cache/fixtures/.stamp'),
  digest(fixtureFiles.map((f) => `${fixtureDir}/${f}`)),
  async () => {
    console.log('oracle: generating tiny checkpoints and CPU references with real open_clip…');
    rmSync(path.join(root, '.cache/fixtures'), { recursive: true, force: true });
    // The generators are independent; run side by side they keep every core busy (the export zoo alone
    // spreads over the cores, the small ones fill the gaps).
    const generators = fixtureFiles.filter((f) => path.basename(f) === f && f.startsWith('make_'));
    const results = await Promise.all(
      generators.map((f) =>
        runAsync(python, ['-W', 'ignore', `${fixtureDir}/${f}`, path.join(root, '.cache/fixtures')]),
      ),
    );
    const failed = generators.filter((_, i) => results[i] !== 0);
    if (failed.length > 0) {
      console.error(`oracle: ${failed.join(', ')} failed; see the output above`);
      process.exit(1);
    }
  },
);
console.log('oracle: ready');
