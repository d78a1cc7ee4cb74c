import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmEnv, repoRoot, runCommand, tempDir, workspaceDirs, type RunResult } from '#test-support';

// What a user of the published packages gets: every workspace packed with `npm pack`, the tarballs installed into
// an empty folder outside the repo (third-party dependencies from npm's cache, else the registry), and the installed
// `cliphub` run end to end there with no ../shared, no Python (python stubs on PATH record any call) and no Hub but
// the local `cliphub serve`.

const tmp = tempDir('cliphub-pack-');
const tarballs = path.join(tmp.dir, 'tarballs');
const app = path.join(tmp.dir, 'app');
const pythonCalls = path.join(tmp.dir, 'python-called');
const stubs = path.join(tmp.dir, 'stubs');
const TOKEN = 'hf_packtest0123456789abcdef';

interface Packed {
  name: string;
  filename: string;
  files: { path: string }[];
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  return runCommand(cmd, args, { cwd, env, timeoutMs: 300_000 });
}

/** Bytes under a folder (apparent sizes, links not followed). */
function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('published packages: npm pack every workspace, install the tarballs into an empty folder, run cliphub there', () => {
  let packed: Packed[] = [];
  // PATH: python stubs first, then the system's (npx needs node and sh); HOME and the HF caches inside the temp dir.
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv =>
    npmEnv({
      PATH: `${stubs}${path.delimiter}${process.env.PATH ?? ''}`,
      HF_ENDPOINT: 'http://127.0.0.1:9', // nothing listens there: any Hub call not aimed at our server fails loudly
      HF_HUB_CACHE: path.join(tmp.dir, 'hf-cache'),
      ...extra,
    });
  const cliphub = (args: string[], extra: Record<string, string> = {}): Promise<RunResult> =>
    run('npx', ['--no', '--', 'cliphub', ...args], app, env(extra));
  const ok = async (pending: Promise<RunResult>): Promise<string> => {
    const r = await pending;
    expect(r.status, `${r.stderr}\n${r.stdout}`).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    const missing = workspaceDirs().filter((dir) => !existsSync(path.join(dir, 'dist')));
    if (missing.length) throw new Error(`not built: ${missing.join(', ')}; run npm run build first (npm test does)`);
    mkdirSync(tarballs);
    mkdirSync(app);
    mkdirSync(stubs);
    for (const py of ['python', 'python3']) {
      writeFileSync(path.join(stubs, py), `#!/bin/sh\necho "$0 $*" >> '${pythonCalls}'\nexit 127\n`);
      chmodSync(path.join(stubs, py), 0o755);
    }
    const pack = await run(
      'npm',
      ['pack', '--workspaces', '--pack-destination', tarballs, '--json'],
      repoRoot,
      npmEnv(),
    );
    expect(pack.status, pack.stderr).toBe(0);
    packed = JSON.parse(pack.stdout) as Packed[];
    // Two workspaces whose names flatten to one tarball name would overwrite each other's tarball.
    expect(new Set(packed.map((p) => p.filename)).size, 'distinct tarball names').toBe(packed.length);
    // A user's project: it denies the dependency install scripts this repo denies (no CUDA download, no warnings).
    const rootPkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      allowScripts: Record<string, boolean>;
    };
    writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({ name: 'cliphub-pack-test', private: true, allowScripts: rootPkg.allowScripts }),
    );
    const install = await run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', ...packed.map((p) => path.join(tarballs, p.filename))],
      app,
      npmEnv(),
    );
    expect(install.status, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/npm warn/i);
    cpSync(path.join(repoRoot, 'examples/tiny-clip'), path.join(app, 'model'), { recursive: true });
  }, 600_000);
  afterAll(() => tmp.cleanup());

  it('packs every workspace the root package.json lists, each with its README, license and entry points', () => {
    const expected = workspaceDirs().map(
      (dir) => (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string }).name,
    );
    expect(packed.map((p) => p.name).sort()).toEqual(expected.sort());
    for (const dir of workspaceDirs()) {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
      for (const field of ['exports', 'types', 'files', 'engines', 'license', 'description'])
        expect(pkg[field], `${pkg.name as string}: ${field}`).toBeDefined();
      const files = packed.find((p) => p.name === pkg.name)!.files.map((f) => f.path);
      expect(files, pkg.name as string).toContain('README.md');
      expect(files.some((f) => f.endsWith('.test.js') || f.includes('test-utils'))).toBe(false);
    }
    const tokenizer = packed.find((p) => p.name === '@cliphub/tokenizer')!.files.map((f) => f.path);
    expect(tokenizer).toEqual(
      expect.arrayContaining(['vocab/bpe_simple_vocab_16e6.txt.gz', 'vocab/NOTICE.txt', 'dist/index.js']),
    );
  });

  it('installs without dev dependencies and reports its size', () => {
    const modules = path.join(app, 'node_modules');
    for (const dev of ['vitest', 'typescript', 'eslint', 'turbo', 'playwright-core', 'prettier'])
      expect(existsSync(path.join(modules, dev)), dev).toBe(false);
    const total = folderBytes(modules);
    const ours = folderBytes(path.join(modules, '@cliphub')) + folderBytes(path.join(modules, 'cliphub'));
    const ort = folderBytes(path.join(modules, 'onnxruntime-node'));
    console.log(
      `installed size of cliphub with its dependencies: ${(total / 2 ** 20).toFixed(1)} MiB ` +
        `(cliphub's own packages ${(ours / 2 ** 20).toFixed(1)} MiB, onnxruntime-node ${(ort / 2 ** 20).toFixed(1)} MiB)`,
    );
    expect(ours).toBeLessThan(total);
  });

  it('convert -> ONNX -> validate -> embed (texts and images) -> zeroshot -> push/pull against cliphub serve', async () => {
    expect(await ok(cliphub(['--version']))).toBe(
      `cliphub ${(JSON.parse(readFileSync(path.join(repoRoot, 'apps/cli/package.json'), 'utf8')) as { version: string }).version}\n`,
    );
    expect(await ok(cliphub(['models', 'show', 'ViT-B-32:openai']))).toContain('ViT-B-32:openai');

    await ok(cliphub(['convert', 'model', '--to', 'safetensors', '--out', 'st', '--verify']));
    await ok(cliphub(['convert', 'model', '--to', 'onnx', '--out', 'onnx']));
    const report = JSON.parse(
      await ok(
        cliphub(['validate', 'onnx', '--reference', 'model/reference.safetensors', '--report', 'report', '--json']),
      ),
    ) as { verdict: string };
    expect(report.verdict).toBe('pass');
    expect(existsSync(path.join(app, 'report/report.json'))).toBe(true);

    mkdirSync(path.join(app, 'images'));
    for (const [name, background] of Object.entries({ red: '#dc2828', blue: '#2846dc' }))
      await sharp({ create: { width: 48, height: 40, channels: 3, background } })
        .png()
        .toFile(path.join(app, 'images', `${name}.png`));
    writeFileSync(path.join(app, 'texts.txt'), 'a red square\na blue square\n');
    const images = JSON.parse(
      await ok(cliphub(['embed', '--model', 'onnx', '--images', 'images', '--out', 'images.npy', '--json'])),
    ) as { images: { embedded: number } };
    expect(images.images.embedded).toBe(2);
    const texts = await cliphub(['embed', '--model', 'onnx', '--texts', 'texts.txt', '--out', 'texts.npy']);
    expect(texts.status, texts.stderr).toBe(0);
    expect(texts.stderr).not.toContain('fetching'); // the bundled vocab, not the Hub
    const zs = JSON.parse(
      await ok(cliphub(['zeroshot', '--model', 'onnx', '--image', 'images/red.png', '--labels', 'red,blue', '--json'])),
    ) as { labels: { label: string; prob: number }[] };
    expect(zs.labels.map((l) => l.label).sort()).toEqual(['blue', 'red']);

    writeFileSync(path.join(app, 'tokens.txt'), `${TOKEN} packer write\n`);
    const server = spawn(
      'npx',
      ['--no', '--', 'cliphub', 'serve', '--port', '0', '--data', 'hub-data', '--tokens', 'tokens.txt'],
      { cwd: app, env: env(), stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let seen = '';
        server.stdout.on('data', (d: Buffer) => {
          seen += d.toString();
          const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
          if (m) resolve(m[1]!);
        });
        server.on('exit', (code) => reject(new Error(`cliphub serve exited ${code}: ${seen}`)));
        setTimeout(() => reject(new Error(`cliphub serve did not start: ${seen}`)), 30_000);
      });
      const auth = { HF_TOKEN: TOKEN };
      await ok(cliphub(['push', 'st', '--repo', 'packer/tiny-clip', '--hub-url', url, '--with-onnx', 'onnx'], auth));
      const pulled = JSON.parse(
        await ok(
          cliphub(['pull', 'hf-hub:packer/tiny-clip', '--hub-url', url, '--cache-dir', 'pulled', '--json'], auth),
        ),
      ) as { snapshotDir: string };
      const snapshot = path.resolve(app, pulled.snapshotDir);
      expect(snapshot.startsWith(path.join(app, 'pulled/models--packer--tiny-clip/snapshots/'))).toBe(true);
      expect(sha256(path.join(snapshot, 'open_clip_model.safetensors'))).toBe(
        sha256(path.join(app, 'st/open_clip_model.safetensors')),
      );
      for (const file of ['vision.onnx', 'text.onnx', 'cliphub.json'])
        expect(sha256(path.join(snapshot, 'onnx', file)), file).toBe(sha256(path.join(app, 'onnx', file)));
      // The pulled ONNX export embeds exactly as the local one.
      await ok(
        cliphub(['embed', '--model', path.join(snapshot, 'onnx'), '--texts', 'texts.txt', '--out', 'pulled.npy']),
      );
      expect(sha256(path.join(app, 'pulled.npy'))).toBe(sha256(path.join(app, 'texts.npy')));
    } finally {
      if (server.pid) process.kill(-server.pid, 'SIGTERM');
    }
    expect(existsSync(pythonCalls) ? readFileSync(pythonCalls, 'utf8') : '').toBe('');
  }, 300_000);
});
