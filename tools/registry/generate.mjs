#!/usr/bin/env node
// Regenerates registry/*.json from open_clip v3.3.0's published data in ../shared/upstream.
// Usage: node tools/registry/generate.mjs [UPSTREAM_DIR] [--out DIR] [--skip-towers]
// The output is deterministic (sorted, fixed formatting), so a re-run with the same input is a no-op diff.
// Tower activations of timm / Hugging Face towers need the oracle venv: see tower_activations.py.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const skipTowers = args.includes('--skip-towers');
const outArg = flag('--out');
const positional = args.filter((a) => !a.startsWith('--'));
const upstream = path.resolve(positional[0] ?? path.join(root, '../shared/upstream/open_clip-v3.3.0'));
const out = path.resolve(outArg ?? path.join(root, 'registry'));
if (!existsSync(path.join(upstream, 'pretrained.json'))) {
  console.error(
    `registry: ${upstream} has no pretrained.json; pass the open_clip-v3.3.0 upstream folder as the first argument`,
  );
  process.exit(2);
}

const UPSTREAM_VERSION = 'open_clip 3.3.0';

/** Minimal RFC 4180 CSV reader: the upstream CSVs quote nothing, but stay safe for commas in quotes. */
function readCsv(file) {
  const text = readFileSync(file, 'utf8').replace(/\r\n/g, '\n').trimEnd();
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  row.push(cell);
  rows.push(row);
  const [header, ...body] = rows;
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

const num = (s) => {
  if (s === '' || s === undefined) return null;
  const v = Number(s);
  if (!Number.isFinite(v)) throw new Error(`registry: not a number: '${s}'`);
  return v;
};

// open_clip's natural sort (digits compare as numbers), so listings match list_models().
const naturalKey = (s) =>
  s
    .toLowerCase()
    .split(/(\d+)/)
    .map((p, i) => (i % 2 ? Number(p) : p));
function naturalCompare(a, b) {
  const ka = naturalKey(a);
  const kb = naturalKey(b);
  for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
    if (ka[i] === kb[i]) continue;
    return ka[i] < kb[i] ? -1 : 1;
  }
  return ka.length - kb.length;
}

// ---- architectures: every model config as-is, plus its profile row (params, FLOPs) when there is one.
const profiles = new Map(readCsv(path.join(upstream, 'model_profile.csv')).map((r) => [r.model, r]));
const configDir = path.join(upstream, 'model_configs');
const names = readdirSync(configDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -5))
  .sort(naturalCompare);
const architectures = {};
for (const name of names) {
  const config = JSON.parse(readFileSync(path.join(configDir, `${name}.json`), 'utf8'));
  const p = profiles.get(name);
  architectures[name] = {
    config,
    profile: p
      ? {
          imageSize: num(p.image_size),
          imageWidth: num(p.image_width),
          textWidth: num(p.text_width),
          embedDim: num(p.embed_dim),
          mparams: num(p.mparams),
          imageMparams: num(p.image_mparams),
          textMparams: num(p.text_mparams),
          gflops: num(p.gflops),
          imageGflops: num(p.image_gflops),
          textGflops: num(p.text_gflops),
        }
      : null,
  };
}
for (const name of profiles.keys())
  if (!architectures[name]) throw new Error(`registry: profile row ${name} has no config`);

// ---- pretrained: the 196 (arch, tag) pairs with their own fields, plus the zero-shot results row.
const results = new Map(
  readCsv(path.join(upstream, 'openclip_results.csv')).map((r) => [`${r.name}\u0000${r.pretrained}`, r]),
);
const upstreamPretrained = JSON.parse(readFileSync(path.join(upstream, 'pretrained.json'), 'utf8'));

/** The sha256 (or its hex prefix) that open_clip checks a URL download against, read from the URL as it does. */
function checksumOf(url) {
  if (!url) return null;
  const file = url.split('/').pop() ?? '';
  if (url.includes('openaipublic')) return url.split('/').at(-2) ?? null;
  if (url.includes('mlfoundations')) {
    const h =
      file
        .replace(/\.[^.]*$/, '')
        .split('-')
        .pop() ?? '';
    return /^[0-9a-f]+$/.test(h) ? h : null;
  }
  return null;
}

const used = new Set();
const entries = upstreamPretrained.entries.map((e) => {
  if (!architectures[e.architecture]) throw new Error(`registry: pretrained ${e.architecture}:${e.tag} has no config`);
  // open_clip's hf_hub is 'org/name/' (default file) or 'org/name/file.bin'.
  let hfHub = null;
  if (e.hf_hub) {
    const parts = e.hf_hub.split('/');
    const file = parts.slice(2).join('/');
    hfHub = { repo: parts.slice(0, 2).join('/'), file: file === '' ? null : file };
  }
  const key = `${e.architecture}\u0000${e.tag}`;
  const r = results.get(key);
  if (r) used.add(key);
  const entry = {
    arch: e.architecture,
    tag: e.tag,
    hfHub,
    url: e.url ? e.url : null,
    sha256: checksumOf(e.url),
    mean: e.mean,
    std: e.std,
    interpolation: e.interpolation,
    resizeMode: e.resize_mode,
    results: r
      ? {
          imagenet1k: num(r['ImageNet 1k']),
          avg38: num(r['Average perf. on 38 datasets']),
          mparams: num(r['params (M)']),
          gflops: num(r['FLOPs (B)']),
        }
      : null,
  };
  // Only a tag that sets it carries the key, as upstream does (absence is not the same claim as false).
  if ('quick_gelu' in e) entry.quickGelu = e.quick_gelu;
  const extra = Object.keys(e).filter(
    (k) =>
      !['architecture', 'tag', 'url', 'hf_hub', 'mean', 'std', 'interpolation', 'resize_mode', 'quick_gelu'].includes(
        k,
      ),
  );
  if (extra.length)
    throw new Error(`registry: ${e.architecture}:${e.tag} has fields this schema lacks: ${extra.join(', ')}`);
  return entry;
});
for (const key of results.keys())
  if (!used.has(key)) throw new Error(`registry: results row ${key.replace('\u0000', ':')} has no pretrained entry`);

const source = (files) => ({ upstream: UPSTREAM_VERSION, files });
// One object per line inside the big maps: compact, yet diffs stay readable.
function write(file, head, key, items) {
  const lines = Array.isArray(items)
    ? items.map((v) => `  ${JSON.stringify(v)}`)
    : Object.entries(items).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  const headText = JSON.stringify(head, null, 2).slice(0, -2);
  const open = Array.isArray(items) ? '[' : '{';
  const close = Array.isArray(items) ? ']' : '}';
  writeFileSync(path.join(out, file), `${headText},\n "${key}": ${open}\n${lines.join(',\n')}\n ${close}\n}\n`);
  console.log(
    `registry: wrote ${path.join(out, file)} (${Array.isArray(items) ? items.length : Object.keys(items).length} ${key})`,
  );
}
write(
  'architectures.json',
  { schemaVersion: 1, source: source(['model_configs/*.json', 'model_profile.csv']) },
  'architectures',
  architectures,
);
write(
  'pretrained.json',
  { schemaVersion: 1, source: source(['pretrained.json', 'openclip_results.csv']) },
  'entries',
  entries,
);

// Tower activations need timm and the oracle's open_clip; refresh them when the oracle is there.
const oracle = path.join(root, '.oracle/venv/bin/python');
if (skipTowers) {
  console.log('registry: --skip-towers; towers.json left as it is');
} else if (existsSync(oracle) && process.env.CLIPHUB_ORACLE !== 'off') {
  const r = spawnSync(
    oracle,
    [
      '-W',
      'ignore',
      path.join(root, 'tools/registry/tower_activations.py'),
      path.join(out, 'architectures.json'),
      path.join(out, 'towers.json'),
    ],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) process.exit(r.status ?? 1);
} else {
  console.log('registry: no oracle venv; kept registry/towers.json as it is');
}
