import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { cliBin, generatedFixtures, tempDir } from '#test-support';
import { hasChromium, launchChromium } from '#test-support/chromium.js';
import { compareRows } from '@cliphub/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AutoTokenizer,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  Tensor,
  env,
} from '@huggingface/transformers';
import { runMain } from '../test-utils/run-main.js';

const TOKEN = 'hf_tjs_0123456789abcdef';
const REPO = 'alice/tiny-tjs';
const FIXTURE = path.join(generatedFixtures, 'models', 'tiny-vit-quickgelu');
const TEXTS = ['a dog', 'a photo of an astronaut riding a horse', 'Café, 123 — naïve 🐶!'];
const require = createRequire(import.meta.url);
const tjsDist = path.dirname(require.resolve('@huggingface/transformers'));
const ortDist = path.dirname(require.resolve('onnxruntime-web'));

/** The page: transformers.js's web build from this origin, models from the hub on another origin, WASM only. */
const PAGE_SCRIPT = `
import * as T from '/tjs/transformers.js';
T.env.allowLocalModels = false;
T.env.useBrowserCache = false;
T.env.backends.onnx.wasm.wasmPaths = location.origin + '/ort/';
T.env.backends.onnx.wasm.numThreads = 1;
window.embed = async ({ hubUrl, repo, texts, pixels }) => {
  T.env.remoteHost = hubUrl + '/';
  const opts = { dtype: 'fp32', device: 'wasm' };
  const tokenizer = await T.AutoTokenizer.from_pretrained(repo);
  const text = await T.CLIPTextModelWithProjection.from_pretrained(repo, opts);
  const vision = await T.CLIPVisionModelWithProjection.from_pretrained(repo, opts);
  const t = await text(tokenizer(texts, { padding: true, truncation: true }));
  const v = await vision({ pixel_values: new T.Tensor('float32', Float32Array.from(pixels), [2, 3, 32, 32]) });
  return { text: Array.from(t.text_embeds.data), image: Array.from(v.image_embeds.data), origin: location.origin };
};
window.ready = true;
`;

/** `cliphub serve` on a free port; resolves with its URL once it listens. */
function startServe(dir: string): Promise<{ url: string; proc: ChildProcess }> {
  writeFileSync(path.join(dir, 'tokens.txt'), `${TOKEN} alice write\n`);
  const proc = spawn(
    process.execPath,
    [cliBin, 'serve', '--port', '0', '--data', path.join(dir, 'data'), '--tokens', path.join(dir, 'tokens.txt')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((done, fail) => {
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) done({ url: m[1] as string, proc });
    });
    proc.on('exit', (code) => fail(new Error(`cliphub serve exited ${code}: ${out}`)));
  });
}

/** The page's origin: index.html plus transformers.js's web build and onnxruntime-web's wasm, from node_modules. */
function startPageServer(): Promise<{ server: Server; origin: string }> {
  const roots: Record<string, string> = { '/tjs/': tjsDist, '/ort/': ortDist };
  const types: Record<string, string> = {
    '.js': 'text/javascript',
    '.mjs': 'text/javascript',
    '.wasm': 'application/wasm',
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/') {
      res
        .writeHead(200, { 'Content-Type': 'text/html' })
        .end('<!doctype html><title>tjs</title><script type="module" src="/page.js"></script>');
      return;
    }
    if (url.pathname === '/page.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(PAGE_SCRIPT);
      return;
    }
    const prefix = Object.keys(roots).find((p) => url.pathname.startsWith(p));
    const file = prefix ? path.join(roots[prefix] as string, path.normalize(url.pathname.slice(prefix.length))) : '';
    if (!prefix || !file.startsWith(roots[prefix] as string) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      // localhost vs the hub's 127.0.0.1: another host and port, so every model fetch is cross-origin
      done({ server, origin: `http://localhost:${typeof addr === 'object' && addr ? addr.port : 0}` });
    }),
  );
}

describe.skipIf(!existsSync(cliBin))('a transformers.js layout pushed to cliphub serve', () => {
  const tmp = tempDir('cliphub-tjs-serve-');
  let hub: { url: string; proc: ChildProcess };
  const node: { text?: Float32Array; image?: Float32Array; dim?: number; pixels?: Tensor } = {};

  beforeAll(async () => {
    hub = await startServe(tmp.dir);
    const layout = path.join(tmp.dir, 'layout');
    const conv = await runMain(['convert', FIXTURE, '--to', 'transformers.js', '--out', layout, '--dtype', 'all'], {
      cwd: tmp.dir,
    });
    expect(conv.code, conv.err).toBe(0);
    const push = await runMain(['push', layout, '--repo', REPO, '--hub-url', hub.url, '--json'], {
      cwd: tmp.dir,
      env: { HF_TOKEN: TOKEN, HOME: tmp.dir },
    });
    expect(push.code, push.err).toBe(0);
  }, 120_000);
  afterAll(() => {
    hub?.proc.kill();
    tmp.cleanup();
  });

  it('has a card with the transformers.js snippet, and Node loads it from the server as from the folder', async () => {
    const card = await (await fetch(`${hub.url}/${REPO}/resolve/main/README.md`)).text();
    expect(card).toContain('## Usage with transformers.js');
    expect(card).toContain(`pipeline('zero-shot-image-classification', '${REPO}'`);
    expect(card).toMatch(/tags:[\s\S]*transformers\.js/);

    const pixels = new Tensor(
      'float32',
      Float32Array.from({ length: 2 * 3 * 32 * 32 }, (_, i) => Math.sin(i)),
      [2, 3, 32, 32],
    );
    const embed = async (id: string) => {
      const tokenizer = await AutoTokenizer.from_pretrained(id);
      const text = await CLIPTextModelWithProjection.from_pretrained(id, { dtype: 'fp32' });
      const vision = await CLIPVisionModelWithProjection.from_pretrained(id, { dtype: 'fp32' });
      const t = (await text(tokenizer(TEXTS, { padding: true, truncation: true }))) as { text_embeds: Tensor };
      const v = (await vision({ pixel_values: pixels })) as { image_embeds: Tensor };
      await Promise.all([text.dispose(), vision.dispose()]);
      return {
        text: t.text_embeds.data as Float32Array,
        image: v.image_embeds.data as Float32Array,
        dim: t.text_embeds.dims[1] as number,
      };
    };
    Object.assign(env, {
      remoteHost: `${hub.url}/`,
      allowRemoteModels: true,
      allowLocalModels: false,
      // Node hands onnxruntime a file path, so remote graphs go through the file cache
      useFSCache: true,
      cacheDir: path.join(tmp.dir, 'cache'),
    });
    const remote = await embed(REPO);
    Object.assign(env, { allowRemoteModels: false, allowLocalModels: true, localModelPath: `${tmp.dir}/` });
    const local = await embed('layout');
    expect(remote.text).toEqual(local.text);
    expect(remote.image).toEqual(local.image);
    Object.assign(node, remote, { pixels });
  }, 120_000);

  it.skipIf(!hasChromium)(
    'a page on another origin runs it in Chromium (onnxruntime-web WASM) and matches Node',
    async () => {
      expect(node.text, 'the Node test runs first').toBeDefined();
      const page = await startPageServer();
      const browser = await launchChromium();
      try {
        const tab = await browser.newPage();
        const logs: string[] = [];
        tab.on('console', (m) => logs.push(m.text()));
        await tab.goto(`${page.origin}/`);
        await tab.waitForFunction('window.ready === true', undefined, { timeout: 60_000 });
        type Embed = (a: { hubUrl: string; repo: string; texts: string[]; pixels: number[] }) => Promise<{
          text: number[];
          image: number[];
          origin: string;
        }>;
        const got = await tab.evaluate((a) => (globalThis as unknown as { embed: Embed }).embed(a), {
          hubUrl: hub.url,
          repo: REPO,
          texts: TEXTS,
          pixels: Array.from(node.pixels?.data as Float32Array),
        });
        expect(new URL(got.origin).host).not.toBe(new URL(hub.url).host);
        expect(
          compareRows(got.text, node.text as Float32Array, node.dim as number).minCos,
          logs.join('\n'),
        ).toBeGreaterThanOrEqual(0.9999);
        expect(compareRows(got.image, node.image as Float32Array, node.dim as number).minCos).toBeGreaterThanOrEqual(
          0.9999,
        );
      } finally {
        await browser.close();
        page.server.close();
      }
    },
    180_000,
  );
});
