// Benchmark (not a test): 50 honest clients on 127.0.0.1 mixing pushes (@huggingface/hub commit), pulls
// (resolve downloads) and tree listings against a hub server in a child process, first alone (the
// baseline), then with one attacker replaying H1 (40k-key YAML), H2 (tree and paths-info over 20,000
// folders) and H5 (half-sent bodies). Prints p50/p99 latency for the honest clients in both phases, the
// p99 ratio (issue 17 asks for at most 3x), and checks that every acknowledged commit is on the server.
//   npm run bench:hub [-- --seconds 20 --clients 50 --server PATH/TO/index.ts]
import { commit } from '@huggingface/hub';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createRepo, commitFiles, manyFolders, send, type Target } from '../src/test-utils/attacks.js';
import { benchDir, fmtMs, packageDir, percentile, startChildHub } from './harness.js';

const arg = (name: string, fallback: string): string =>
  process.argv.includes(name) ? (process.argv[process.argv.indexOf(name) + 1] as string) : fallback;
const seconds = Number(arg('--seconds', '20'));
const clients = Number(arg('--clients', '50'));
const serverModule = path.resolve(arg('--server', path.join(packageDir, 'src/index.ts')));
const USERS = 10;
const THINK_MS = 100;

const users = Array.from({ length: USERS }, (_, i) => `u${i}`);
const hub = await startChildHub(serverModule, [...users, 'alice', 'carol', 'mallory']);
const tokenOf = (u: string): string => hub.tokens[u] as string;
const t: Target = { url: hub.url, tokens: hub.tokens as Target['tokens'] };

console.log(
  `server ${path.relative(process.cwd(), serverModule)} at ${hub.url}; ${clients} clients, ${seconds} s per phase`,
);
// setup: a shared public repo to pull and list, one repo per client to push to, the attacker's 20k-folder repo
await createRepo(t, 'acme/shared', tokenOf('alice'));
const sharedFiles: Array<[string, Buffer]> = Array.from({ length: 20 }, (_, i) => [
  `files/f${i}.txt`,
  Buffer.alloc(20_000 + i * 1000, 65 + i),
]);
await commitFiles(t, 'acme/shared', tokenOf('alice'), sharedFiles);
for (let c = 0; c < clients; c++) await createRepo(t, `${users[c % USERS]}/c${c}`, tokenOf(users[c % USERS] as string));
await createRepo(t, 'mallory/h2', tokenOf('mallory'));
await commitFiles(t, 'mallory/h2', tokenOf('mallory'), manyFolders(20_000));

type Op = 'push' | 'pull' | 'tree';
interface Sample {
  op: Op;
  ms: number;
  ok: boolean;
}
const acknowledged = new Map<string, Set<string>>(); // repo -> files whose commit was acknowledged
let pushSeq = 0;

async function honestClient(c: number, until: number, samples: Sample[]): Promise<void> {
  const user = users[c % USERS] as string;
  const token = tokenOf(user);
  const repo = `${user}/c${c}`;
  for (let n = 0; Date.now() < until; n++) {
    const op: Op = (['push', 'pull', 'tree'] as const)[(c + n) % 3] as Op;
    const t0 = performance.now();
    let ok = false;
    try {
      if (op === 'push') {
        const file = `p${++pushSeq}.txt`;
        const r = await commit({
          repo,
          accessToken: token,
          hubUrl: hub.url,
          title: file,
          operations: [{ operation: 'addOrUpdate', path: file, content: new Blob([`${repo} ${file}\n`]) }],
        });
        ok = !!r?.commit.oid;
        if (ok) (acknowledged.get(repo) ?? acknowledged.set(repo, new Set()).get(repo))?.add(file);
      } else if (op === 'pull') {
        const [p, want] = sharedFiles[(c * 7 + n) % sharedFiles.length] as [string, Buffer];
        const res = await fetch(`${hub.url}/acme/shared/resolve/main/${p}`, {
          headers: { Authorization: `Bearer ${token}` },
        });
        ok = res.ok && Buffer.from(await res.arrayBuffer()).equals(want);
      } else {
        const r = await send(t, 'GET', '/api/models/acme/shared/tree/main?recursive=true', { token });
        ok = r.status === 200;
      }
    } catch {
      ok = false;
    }
    samples.push({ op, ms: performance.now() - t0, ok });
    await new Promise((resolve) => setTimeout(resolve, THINK_MS));
  }
}

/** The attacker (bench/attacker.ts) in its own process until `until`; resolves with its round count. */
function attacker(until: number): Promise<number> {
  const child = spawn(
    path.resolve(packageDir, '../../node_modules/.bin/vite-node'),
    [
      path.join(benchDir, 'attacker.ts'),
      '--',
      hub.url,
      tokenOf('mallory'),
      'mallory/h2',
      String(Math.max(1, (until - Date.now()) / 1000)),
    ],
    { cwd: packageDir, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('exit', () => resolve(Number(/rounds (\d+)/.exec(out)?.[1] ?? NaN))));
}

type P99 = Record<Op | 'all', number>;

async function phase(name: string, withAttacker: boolean): Promise<P99> {
  const samples: Sample[] = [];
  const until = Date.now() + seconds * 1000;
  const [, rounds] = await Promise.all([
    Promise.all(Array.from({ length: clients }, (_, c) => honestClient(c, until, samples))),
    withAttacker ? attacker(until) : Promise.resolve(0),
  ]);
  const sorted = (op?: Op): number[] =>
    samples
      .filter((s) => !op || s.op === op)
      .map((s) => s.ms)
      .sort((a, b) => a - b);
  const all = sorted();
  const p99: P99 = { all: percentile(all, 99), push: 0, pull: 0, tree: 0 };
  const byOp = (['push', 'pull', 'tree'] as const)
    .map((op) => {
      const ms = sorted(op);
      p99[op] = percentile(ms, 99);
      return `${op} p50 ${fmtMs(percentile(ms, 50))} p99 ${fmtMs(p99[op])}`;
    })
    .join('; ');
  console.log(
    `${name.padEnd(16)} ${samples.length} ops (${samples.filter((s) => !s.ok).length} failed), p50 ${fmtMs(percentile(all, 50))}, p99 ${fmtMs(p99.all)}${withAttacker ? `, attacker rounds ${rounds}` : ''}\n${''.padEnd(17)}${byOp}`,
  );
  return p99;
}

const baseline = await phase('honest only', false);
const attacked = await phase('with attacker', true);
const ratio = (k: keyof P99): string => `${(attacked[k] / baseline[k]).toFixed(2)}x`;
console.log(
  `p99 with the attacker / p99 without: ${ratio('all')} (issue 17: at most 3x); push ${ratio('push')}, pull ${ratio('pull')}, tree ${ratio('tree')}`,
);

// no acknowledged commit may be missing
let expected = 0;
let missing = 0;
for (const [repo, files] of acknowledged) {
  const res = await fetch(`${hub.url}/api/models/${repo}/tree/main`, {
    headers: { Authorization: `Bearer ${tokenOf(repo.split('/')[0] as string)}` },
  });
  const present = new Set(((await res.json()) as Array<{ path: string }>).map((e) => e.path));
  for (const f of files) {
    expected++;
    if (!present.has(f)) missing++;
  }
}
console.log(`commits acknowledged: ${expected}, missing on the server: ${missing}`);
console.log(`server peak RSS ${hub.memory().peakMb.toFixed(0)} MB`);
await hub.stop();
process.exitCode = missing > 0 ? 1 : 0;
