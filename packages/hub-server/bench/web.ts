// Benchmark (not a test): the web UI against the JSON API it sits beside (issue 14).
// - the list page `/` with 1,000 repos vs GET /api/models for the same repos;
// - the model page of a repo whose root holds 10,000 files vs the API's full tree listing of it (every page).
// Medians over interleaved runs, one server in this process; the ratios are what the issue bounds (≤ 1.5×).
//   npx vite-node packages/hub-server/bench/web.ts [-- --repos 1000 --files 10000 --runs 15]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHubServer } from '../src/index.js';
import { gitBlobOid } from '../src/git-oid.js';
import { Store, type StoreOperation } from '../src/store.js';

const arg = (name: string, fallback: string): number =>
  Number(process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const REPOS = arg('--repos', '1000');
const FILES = arg('--files', '10000');
const RUNS = arg('--runs', '15');

const dir = mkdtempSync(path.join(tmpdir(), 'cliphub-bench-web-'));
const started = Date.now();
const store = new Store(dir);
await store.open();
const families = ['native-vit', 'modified-resnet', 'timm', 'hf-text'];
async function commitFiles(repo: string, files: Array<[string, Buffer]>): Promise<void> {
  const ops: StoreOperation[] = [];
  for (const [p, content] of files) {
    const oid = gitBlobOid(content);
    await store.putBlob(repo, oid, content);
    ops.push({ kind: 'file', path: p, oid, size: content.length });
  }
  await store.commitOps(repo, 'main', ops, { title: 'add files', description: '', author: 'bench' });
}
for (let i = 0; i < REPOS; i++) {
  const repo = `org${i % 20}/model-${i}`;
  await store.create(repo, { private: false, author: 'bench' });
  const card = `---\nlicense: mit\ntags: [clip]\ncliphub:\n  architecture: ViT-B-${i % 3}\n  family: ${families[i % 4]}\n  activation: gelu\n  params: ${1e6 * (50 + i)}\n---\n# model-${i}\n\nA model.\n`;
  await commitFiles(repo, [
    ['README.md', Buffer.from(card)],
    ['open_clip_config.json', Buffer.from(`{"i": ${i}}`)],
  ]);
}
const big = 'acme/big-tree';
await store.create(big, { private: false, author: 'bench' });
const blobs = Array.from({ length: 100 }, (_, i) => Buffer.alloc(100 + i * 37, 65 + (i % 26)));
await commitFiles(big, [
  ['README.md', Buffer.from('---\nlicense: mit\n---\n# big tree\n')],
  ...Array.from({ length: FILES }, (_, i): [string, Buffer] => [
    `shard-${String(i).padStart(5, '0')}.bin`,
    blobs[i % 100] as Buffer,
  ]),
]);
console.log(`setup: ${REPOS} repos + one of ${FILES} files in ${((Date.now() - started) / 1000).toFixed(1)} s`);

const hub = await createHubServer({
  dataDir: dir,
  rateLimits: { anonymousRate: 1e9, anonymousBurst: 1e9, anonymousConcurrency: 1000 },
});

async function timed(fn: () => Promise<number>): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  const bytes = await fn();
  return { ms: performance.now() - t0, bytes };
}
async function get(url: string): Promise<{ bytes: number; link: string | null }> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  const body = await res.arrayBuffer();
  return { bytes: body.byteLength, link: res.headers.get('link') };
}
const listPage = async (): Promise<number> => (await get(`${hub.url}/`)).bytes;
const listApi = async (): Promise<number> => (await get(`${hub.url}/api/models`)).bytes;
const modelPage = async (): Promise<number> => (await get(`${hub.url}/${big}`)).bytes;
async function treeApi(): Promise<number> {
  let url: string | null = `${hub.url}/api/models/${big}/tree/main`;
  let bytes = 0;
  while (url) {
    const page: { bytes: number; link: string | null } = await get(url);
    bytes += page.bytes;
    url = page.link ? (/<([^>]+)>/.exec(page.link)?.[1] ?? null) : null;
  }
  return bytes;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? (s[s.length >> 1] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};
async function compare(name: string, page: () => Promise<number>, api: () => Promise<number>): Promise<void> {
  for (let i = 0; i < 2; i++) await Promise.all([await page(), await api()]); // warm: caches, JIT
  const p: number[] = [];
  const a: number[] = [];
  let sizes = { page: 0, api: 0 };
  for (let i = 0; i < RUNS; i++) {
    const x = await timed(page);
    const y = await timed(api);
    p.push(x.ms);
    a.push(y.ms);
    sizes = { page: x.bytes, api: y.bytes };
  }
  const ratio = median(p) / median(a);
  console.log(
    `${name}: page median ${median(p).toFixed(1)} ms (${(sizes.page / 1024).toFixed(0)} KiB), API median ${median(a).toFixed(1)} ms (${(sizes.api / 1024).toFixed(0)} KiB), ratio ${ratio.toFixed(2)}x (bound 1.5x) ${ratio <= 1.5 ? 'OK' : 'OVER'}`,
  );
}
try {
  await compare(`list of ${REPOS} repos (/ vs /api/models)`, listPage, listApi);
  await compare(`model page of ${FILES} files (/${big} vs API tree, all pages)`, modelPage, treeApi);
} finally {
  await hub.close();
  rmSync(dir, { recursive: true, force: true });
}
