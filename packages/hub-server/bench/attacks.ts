// Benchmark (not a test): the issue-17 attacks H1–H10 against a hub server in a child process, each with an
// honest client (bob) asking for model info every 100 ms meanwhile. Prints one figure per attack and the
// slowest honest answer. Run it against this package (default) and against a baseline copy of an older
// server to get before/after figures:
//   npm run bench:attacks -w @cliphub/hub-server [-- --server PATH/TO/server.ts] [--only H1,H2] [--cap 120]
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  badTokenFlood,
  commitFiles,
  createRepo,
  halfSentBodies,
  hugeClaims,
  lfsBatch,
  manyFolders,
  missingPathsInfo,
  ndjson,
  send,
  timed,
  validateYaml,
  whileProbing,
  yamlKeys,
  fakeOid,
  type Target,
} from '../src/test-utils/attacks.js';
import { fmtMs, packageDir, startChildHub, type ChildHub } from './harness.js';

const arg = (name: string): string | undefined =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined;
const serverModule = path.resolve(arg('--server') ?? path.join(packageDir, 'src/index.ts'));
const only = arg('--only')?.split(',');
const capMs = Number(arg('--cap') ?? 120) * 1000;
const MiB = 1024 * 1024;

const rows: Array<[string, string, string]> = [];
function report(attack: string, figure: string, honest: string): void {
  rows.push([attack, figure, honest]);
  console.log(`${attack.padEnd(46)} ${figure.padEnd(62)} ${honest}`);
}

/** Runs `fn` against a fresh server; past `capMs` the server is killed and the attack reported as capped. */
async function scenario(
  name: string,
  options: Record<string, unknown>,
  fn: (t: Target, hub: ChildHub) => Promise<void>,
): Promise<void> {
  if (only && !only.some((o) => name.startsWith(o))) return;
  const hub = await startChildHub(serverModule, ['alice', 'carol'], options);
  const t: Target = { url: hub.url, tokens: hub.tokens as Target['tokens'] };
  await createRepo(t, 'acme/probe', t.tokens.alice);
  let timer: NodeJS.Timeout | undefined;
  let overCap = false;
  const capped = new Promise<'capped'>((resolve) => (timer = setTimeout(() => resolve('capped'), capMs)));
  const run = fn(t, hub).then(
    () => 'done' as const,
    (e: unknown) => {
      if (!overCap) report(name, `failed: ${String((e as Error).message).slice(0, 60)}`, '-');
      return 'done' as const;
    },
  );
  if ((await Promise.race([run, capped])) === 'capped') {
    overCap = true;
    report(name, `> ${capMs / 1000} s (capped; server killed)`, '-');
  }
  clearTimeout(timer);
  await hub.stop();
  await run.catch(() => undefined);
}

const honest = (r: { probeMaxMs: number; probeFailures: number }): string =>
  `${fmtMs(r.probeMaxMs)}${r.probeFailures ? ` (${r.probeFailures} failed)` : ''}`;

await scenario('H1 validate-yaml, 40k keys, anonymous', {}, async (t) => {
  const r = await whileProbing(t, 'acme/probe', () => timed(() => validateYaml(t, yamlKeys(40_000))));
  report('H1 validate-yaml, 40k keys, anonymous', `${fmtMs(r.value.ms)}, HTTP ${r.value.value.status}`, honest(r));
});

await scenario('H1 validate-yaml, 40k keys, with a token', {}, async (t) => {
  const r = await whileProbing(t, 'acme/probe', () => timed(() => validateYaml(t, yamlKeys(40_000), t.tokens.alice)));
  report('H1 validate-yaml, 40k keys, with a token', `${fmtMs(r.value.ms)}, HTTP ${r.value.value.status}`, honest(r));
});

await scenario('H1 model info of a 40k-key README', {}, async (t) => {
  await createRepo(t, 'alice/h1', t.tokens.alice);
  await commitFiles(t, 'alice/h1', t.tokens.alice, [['README.md', yamlKeys(40_000)]]);
  const r = await whileProbing(t, 'acme/probe', async () => [
    await timed(() => send(t, 'GET', '/api/models/alice/h1')),
    await timed(() => send(t, 'GET', '/api/models/alice/h1')),
  ]);
  report(
    'H1 model info of a 40k-key README',
    `1st ${fmtMs(r.value[0]!.ms)}, 2nd ${fmtMs(r.value[1]!.ms)}, HTTP ${r.value[1]!.value.status}`,
    honest(r),
  );
});

await scenario('H2 tree/main?limit=1 over 20,000 folders', {}, async (t) => {
  await createRepo(t, 'alice/h2', t.tokens.alice);
  const setup = await timed(() => commitFiles(t, 'alice/h2', t.tokens.alice, manyFolders(20_000)));
  const r = await whileProbing(t, 'acme/probe', () =>
    timed(() => send(t, 'GET', '/api/models/alice/h2/tree/main?limit=1')),
  );
  report(
    'H2 tree/main?limit=1 over 20,000 folders',
    `${fmtMs(r.value.ms)}, HTTP ${r.value.value.status} (the 1.2 MB commit took ${fmtMs(setup.ms)})`,
    honest(r),
  );
});

await scenario('H2 paths-info, 5,000 missing paths', {}, async (t) => {
  await createRepo(t, 'alice/h2', t.tokens.alice);
  await commitFiles(t, 'alice/h2', t.tokens.alice, manyFolders(20_000));
  const r = await whileProbing(t, 'acme/probe', () => timed(() => missingPathsInfo(t, 'alice/h2', 5000)));
  report('H2 paths-info, 5,000 missing paths', `${fmtMs(r.value.ms)}, HTTP ${r.value.value.status}`, honest(r));
});

await scenario('H3 100 batches x 1000 objects from carol', {}, async (t) => {
  await createRepo(t, 'carol/h3', t.tokens.carol);
  await createRepo(t, 'alice/h3', t.tokens.alice);
  const r = await whileProbing(t, 'acme/probe', () =>
    timed(async () => {
      let accepted = 0;
      for (let b = 0; b < 100; b++) {
        const objects = Array.from({ length: 1000 }, (_, i) => ({ oid: fakeOid(b * 1000 + i), size: 100 }));
        if ((await lfsBatch(t, 'carol/h3', objects, t.tokens.carol)).status === 200) accepted++;
      }
      return accepted;
    }),
  );
  const alice = await lfsBatch(t, 'alice/h3', [{ oid: fakeOid(1e7), size: 100 }], t.tokens.alice);
  report(
    'H3 100 batches x 1000 objects from carol',
    `${fmtMs(r.value.ms)}; carol got ${r.value.value} accepted, then alice HTTP ${alice.status}`,
    honest(r),
  );
});

await scenario('H4 batch of 90 objects claiming 64 GiB', {}, async (t) => {
  await createRepo(t, 'alice/h4', t.tokens.alice);
  const r = await whileProbing(t, 'acme/probe', () =>
    timed(() => lfsBatch(t, 'alice/h4', hugeClaims(90), t.tokens.alice)),
  );
  report(
    'H4 batch of 90 objects claiming 64 GiB',
    `${(r.value.value.bytes / 1e6).toFixed(3)} MB answer in ${fmtMs(r.value.ms)}, HTTP ${r.value.value.status}`,
    honest(r),
  );
});

for (const shape of ['one 127 MiB line', '26 lines of 4.9 MiB']) {
  await scenario(`H4 127 MiB commit, ${shape}`, {}, async (t, hub) => {
    await createRepo(t, 'alice/h4', t.tokens.alice);
    const before = hub.memory();
    const raw = 95 * MiB; // base64 makes it 127 MiB
    const files: Array<[string, Buffer]> =
      shape === 'one 127 MiB line'
        ? [['big.txt', Buffer.alloc(raw, 97)]]
        : Array.from({ length: 26 }, (_, i) => [`part${i}.txt`, Buffer.alloc(Math.floor(raw / 26), 97 + i)]);
    const body = ndjson([
      { key: 'header', value: { summary: 'big' } },
      ...files.map(([p, c]) => ({
        key: 'file',
        value: { path: p, content: c.toString('base64'), encoding: 'base64' },
      })),
    ]);
    const r = await whileProbing(t, 'acme/probe', () =>
      timed(() =>
        send(t, 'POST', '/api/models/alice/h4/commit/main', {
          token: t.tokens.alice,
          type: 'application/x-ndjson',
          body,
        }),
      ),
    );
    const after = hub.memory();
    report(
      `H4 127 MiB commit, ${shape}`,
      `HTTP ${r.value.value.status} in ${fmtMs(r.value.ms)}; server peak RSS ${after.peakMb.toFixed(0)} MB (${before.rssMb.toFixed(0)} MB idle)`,
      honest(r),
    );
  });
}

await scenario('H4 anonymous 7.5 MB batch body', {}, async (t) => {
  await createRepo(t, 'alice/h4', t.tokens.alice);
  const body = JSON.stringify({ operation: 'download', objects: hugeClaims(80_000) });
  const r = await whileProbing(t, 'acme/probe', () =>
    timed(() =>
      send(t, 'POST', '/alice/h4.git/info/lfs/objects/batch', { body, type: 'application/vnd.git-lfs+json' }),
    ),
  );
  report('H4 anonymous 7.5 MB batch body', `HTTP ${r.value.value.status} in ${fmtMs(r.value.ms)}`, honest(r));
});

await scenario('H5 200 half-sent bodies (default timeouts)', {}, async (t) => {
  const r = await whileProbing(t, 'acme/probe', () => halfSentBodies(t, 200, 65_000));
  const closed = r.value.filter((x): x is number => x !== null);
  report(
    'H5 200 half-sent bodies (default timeouts)',
    `${closed.length}/200 closed by the server within 65 s${closed.length ? `, the last after ${fmtMs(Math.max(...closed))}` : ''}`,
    honest(r),
  );
});

await scenario('H6 500 bad-token requests', {}, async (t) => {
  const r = await whileProbing(t, 'acme/probe', () => timed(() => badTokenFlood(t, 500)));
  const s = r.value.value.statuses;
  report(
    'H6 500 bad-token requests',
    `${fmtMs(r.value.ms)}: ${s.get(401) ?? 0} x 401, ${s.get(429) ?? 0} x 429 (with Retry-After: ${r.value.value.retryAfter})`,
    honest(r),
  );
});

await scenario('H7 prototype names', {}, async (t) => {
  await createRepo(t, 'alice/h7', t.tokens.alice);
  const commit = await commitFiles(t, 'alice/h7', t.tokens.alice, [['__proto__', 'p']]);
  const tree = JSON.parse((await send(t, 'GET', '/api/models/alice/h7/tree/main')).text) as Array<{ path: string }>;
  const toString = await send(t, 'GET', '/alice/h7/resolve/main/toString');
  const pi = await send(t, 'POST', '/api/models/alice/h7/paths-info/main', {
    body: JSON.stringify({ paths: ['hasOwnProperty', 'toString'] }),
  });
  report(
    'H7 prototype names',
    `commit __proto__ ${commit.status}, in tree: ${tree.some((e) => e.path === '__proto__')}; resolve toString ${toString.status}; paths-info invents ${pi.text.length > 2 ? pi.text.slice(0, 40) : 'nothing'}`,
    '-',
  );
});

await scenario('H9 multipart part after repo delete', {}, async (t, hub) => {
  await createRepo(t, 'alice/h9', t.tokens.alice);
  const data = Buffer.alloc(11 * MiB, 1);
  const oid = createHash('sha256').update(data).digest('hex');
  const batch = JSON.parse((await lfsBatch(t, 'alice/h9', [{ oid, size: data.length }], t.tokens.alice)).text);
  const part1 = batch.objects[0].actions.upload.header['00001'] as string;
  await send(t, 'DELETE', '/api/repos/delete', {
    token: t.tokens.alice,
    body: JSON.stringify({ name: 'h9', organization: 'alice' }),
  });
  const late = await fetch(part1, { method: 'PUT', body: data.subarray(0, 5 * MiB) });
  const recreated = existsSync(path.join(hub.dataDir, 'repos/alice/h9'));
  const again = await send(t, 'POST', '/api/repos/create', {
    token: t.tokens.alice,
    body: JSON.stringify({ name: 'h9' }),
  });
  const info = await send(t, 'GET', '/api/models/alice/h9', { token: t.tokens.alice });
  report(
    'H9 multipart part after repo delete',
    `part PUT ${late.status}; repo folder recreated: ${recreated}; create again ${again.status}, GET ${info.status}`,
    '-',
  );
});

await scenario('H10 second server on one data dir', {}, async (t, hub) => {
  const second = await startChildHub(serverModule, [], { dataDir: hub.dataDir, tokensFile: hub.tokensFile }).then(
    (h) => h,
    () => null,
  );
  if (!second) {
    report('H10 second server on one data dir', 'refused to start', '-');
    return;
  }
  // both run: 20 commits to one branch, alternating servers, all acknowledged?
  const other: Target = { ...t, url: second.url };
  await createRepo(t, 'alice/h10', t.tokens.alice);
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      commitFiles(i % 2 ? other : t, 'alice/h10', t.tokens.alice, [[`f${i}.txt`, `${i}`]]).catch(() => null),
    ),
  );
  const tree = JSON.parse(
    (await send(t, 'GET', '/api/models/alice/h10/tree/main', { token: t.tokens.alice })).text,
  ) as Array<{
    path: string;
  }>;
  await second.stop();
  report(
    'H10 second server on one data dir',
    `started; ${results.filter((r) => r?.status === 200).length}/20 commits acknowledged, ${tree.length - 1} survive`,
    '-',
  );
});

if (!only || only.includes('H8')) {
  const { parseTokens } = (await import(
    pathToFileURL(serverModule.replace(/server\.ts$|index\.ts$/, 'tokens.ts')).href
  )) as {
    parseTokens(text: string): Map<string, { user: string }>;
  };
  const secret = 'hf_s3cret_0123456789abcdef';
  const outcome = (line: string): string => {
    try {
      const users = [...parseTokens(line).values()].map((v) => v.user);
      return `accepted (user '${users[0] === secret ? 'hf_s3cret…' : users[0]}')`;
    } catch (e) {
      return (e as Error).message.includes(secret) ? 'refused, token echoed' : 'refused, token not echoed';
    }
  };
  report('H8 tokens line "alice write hf_…"', outcome(`alice write ${secret}`), '-');
  report('H8 tokens line "alice hf_… write"', outcome(`alice ${secret} write`), '-');
}

console.log(`\nserver: ${path.relative(process.cwd(), serverModule)}`);
