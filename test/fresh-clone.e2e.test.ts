import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { npmEnv, repoRoot, runCommand, tempDir, type RunResult } from '#test-support';

// A newcomer's first hour, offline: a fresh clone of this commit, `npm ci && npm run demo` with the network
// unreachable, then `npx cliphub --help`. Every step must run (CLIP's vocab ships with the tokenizer), the bin must be
// linked by that one `npm ci`, and stderr must hold no warning the user did not cause (npm's, onnxruntime's, turbo's).
//
// "Unreachable" means: inside a new network namespace holding only loopback (`unshare -rn`) where the kernel allows
// it, so neither npm nor the Hub client nor turbo can reach anything; npm installs from its cache (`--offline`, warm
// after the repo's own `npm ci`). Where namespaces are not allowed, npm is still forced offline and every Hub URL
// and proxy points at a closed loopback port, and the test says so.

const git = (args: string[], cwd = repoRoot): SpawnSyncReturns<string> =>
  spawnSync('git', args, { cwd, encoding: 'utf8' });
const head = git(['rev-parse', 'HEAD']);
const isRepo = head.status === 0;
if (!isRepo)
  console.warn('SKIPPED (fresh clone e2e): this checkout is not a git repository, so there is nothing to clone');
else if (git(['status', '--porcelain', '--untracked-files=no']).stdout.trim())
  console.warn('fresh clone e2e: the working tree has uncommitted changes; the clone tests HEAD without them');

const netnsWorks = spawnSync('unshare', ['-rn', 'sh', '-c', 'ip link set lo up'], { encoding: 'utf8' }).status === 0;

/** What must never appear on stderr: warnings from npm, onnxruntime, Node or turbo's telemetry notice. */
const NOISE = [
  /npm (warn|WARN|notice)/,
  /Unknown (project|env|user) config/,
  /\[W:onnxruntime/,
  /\(node:\d+\) \w*Warning/,
  /telemetry/i,
];

describe.skipIf(!isRepo)('fresh clone: npm ci && npm run demo offline, then npx cliphub --help', () => {
  const tmp = tempDir('cliphub-fresh-clone-');
  afterAll(() => tmp.cleanup());
  const clone = path.join(tmp.dir, 'cliphub');
  const home = path.join(tmp.dir, 'home');

  it('runs all 16 demo steps with no network and prints no warnings', async () => {
    mkdirSync(home);
    const cache = spawnSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8', env: npmEnv() }).stdout.trim();
    expect(git(['clone', '--quiet', '--no-checkout', repoRoot, clone], tmp.dir).status).toBe(0);
    expect(git(['checkout', '--quiet', head.stdout.trim()], clone).status).toBe(0);

    // A new user: an empty HOME (no Hugging Face cache, no npm or turbo settings), npm's warm cache, npm offline.
    const env = npmEnv({
      HOME: home,
      npm_config_cache: cache,
      npm_config_offline: 'true',
      ...(netnsWorks
        ? {}
        : {
            HF_ENDPOINT: 'http://127.0.0.1:9',
            HTTP_PROXY: 'http://127.0.0.1:9',
            HTTPS_PROXY: 'http://127.0.0.1:9',
            http_proxy: 'http://127.0.0.1:9',
            https_proxy: 'http://127.0.0.1:9',
          }),
    });
    if (!netnsWorks)
      console.warn('fresh clone e2e: no network namespace here (unshare -rn); offline by configuration only');
    const offline = (cmd: string[]): Promise<RunResult> => {
      const argv = netnsWorks ? ['unshare', '-rn', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', ...cmd] : cmd;
      return runCommand(argv[0]!, argv.slice(1), { cwd: clone, env, timeoutMs: 480_000 });
    };

    const steps: Array<[string, RunResult]> = [];
    const step = async (label: string, cmd: string[]): Promise<RunResult> => {
      const r = await offline(cmd);
      steps.push([label, r]);
      expect(r.status, `${label} failed:\n${r.stderr}\n${r.stdout.slice(-4000)}`).toBe(0);
      return r;
    };

    if (netnsWorks) {
      // The namespace really is offline: the npm registry cannot be reached from it.
      // (an empty cache, so npm cannot answer from a stale copy)
      const emptyCache = path.join(tmp.dir, 'empty-npm-cache');
      const probe = await offline([
        'npm',
        'view',
        'zod',
        'version',
        '--offline=false',
        '--fetch-retries=0',
        '--cache',
        emptyCache,
      ]);
      expect(probe.status).not.toBe(0);
    }
    await step('npm ci', ['npm', 'ci']);
    const demo = await step('npm run demo', ['npm', 'run', 'demo']);
    expect(demo.stdout).toContain('demo: all 16 steps ok');
    expect(demo.stdout).not.toMatch(/skipped/i);
    expect(demo.stdout.match(/^== \d+\/16 /gm)).toHaveLength(16);
    const help = await step('npx cliphub --help', ['npx', 'cliphub', '--help']);
    expect(help.stdout).toContain('Usage: cliphub <command>');

    for (const [label, r] of steps) {
      for (const pattern of NOISE) expect(r.stderr, `${label} stderr`).not.toMatch(pattern);
    }
    expect(steps.find(([label]) => label === 'npx cliphub --help')![1].stderr).toBe('');
  }, 600_000);
});
