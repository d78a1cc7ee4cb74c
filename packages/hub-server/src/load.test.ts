import { commit, createRepo, downloadFile, listFiles } from '@huggingface/hub';
import { hasOracle, pythonJsonAsync } from '#test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKENS, bytes, startTestHub, type TestHub } from './test-utils/server.js';

// 10 JS clients + 10 Python threads at once, half to their own repo, half to one shared branch.
describe.skipIf(!hasOracle)('hub server under parallel JS and Python clients', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
    await createRepo({ repo: 'acme/shared', accessToken: TOKENS.alice, hubUrl: hub.url });
  });
  afterAll(async () => hub.cleanup());

  it('keeps every commit intact and serializes same-branch writers', async () => {
    const common = { accessToken: TOKENS.alice, hubUrl: hub.url };
    const js = Array.from({ length: 10 }, async (_, i) => {
      const repo = i < 5 ? `acme/js-${i}` : 'acme/shared';
      if (i < 5) await createRepo({ repo, ...common });
      return commit({
        repo,
        ...common,
        title: `js ${i}`,
        useWebWorkers: false,
        operations: [
          { operation: 'addOrUpdate', path: `js/${i}.txt`, content: new Blob([`js ${i}\n`]) },
          { operation: 'addOrUpdate', path: `js/${i}.safetensors`, content: new Blob([bytes(50_000, i)]) },
        ],
      });
    });
    const py = pythonJsonAsync<Array<string | null>>(
      `
import json, os, tempfile
from concurrent.futures import ThreadPoolExecutor
from huggingface_hub import HfApi, CommitOperationAdd
api = HfApi()
def push(i):
    repo = f'acme/py-{i}' if i < 5 else 'acme/shared'
    if i < 5:
        api.create_repo(repo)
    ops = [CommitOperationAdd(f'py/{i}.txt', f'py {i}\\n'.encode()), CommitOperationAdd(f'py/{i}.safetensors', bytes([i]) * 40000)]
    return api.create_commit(repo, ops, commit_message=f'py {i}').oid
with ThreadPoolExecutor(10) as ex:
    print(json.dumps(list(ex.map(push, range(10)))))
`,
      [],
      { HF_ENDPOINT: hub.url, HF_HUB_DISABLE_XET: '1', HF_TOKEN: TOKENS.alice, HF_HUB_DISABLE_PROGRESS_BARS: '1' },
    );
    const [jsOut, pyOut] = await Promise.all([Promise.all(js), py]);
    const oids = [...jsOut.map((o) => o?.commit.oid), ...pyOut];
    expect(new Set(oids).size).toBe(20);

    for (let i = 0; i < 5; i++) {
      for (const [repo, kind] of [
        [`acme/js-${i}`, 'js'],
        [`acme/py-${i}`, 'py'],
      ] as const) {
        const t = await downloadFile({ repo, path: `${kind}/${i}.txt`, ...common });
        expect(await t!.text()).toBe(`${kind} ${i}\n`);
      }
    }
    // the shared branch has all ten writers' files: nobody overwrote anybody
    const paths: string[] = [];
    for await (const f of listFiles({ repo: 'acme/shared', recursive: true, ...common }))
      if (f.type === 'file') paths.push(f.path);
    for (let i = 5; i < 10; i++)
      expect(paths).toEqual(
        expect.arrayContaining([`js/${i}.txt`, `js/${i}.safetensors`, `py/${i}.txt`, `py/${i}.safetensors`]),
      );
    const st = await downloadFile({ repo: 'acme/shared', path: 'py/7.safetensors', ...common });
    expect(Buffer.from(await st!.arrayBuffer()).equals(Buffer.alloc(40000, 7))).toBe(true);

    // history is linear: each shared commit's parent is the previous head (10 commits + the initial one)
    const refs = (await (
      await fetch(`${hub.url}/api/models/acme/shared/refs`, { headers: { Authorization: `Bearer ${TOKENS.alice}` } })
    ).json()) as { branches: Array<{ targetCommit: string }> };
    let head: string | undefined = refs.branches[0]?.targetCommit;
    let depth = 0;
    let initial = '';
    const { readFileSync } = await import('node:fs');
    while (head) {
      const c = JSON.parse(readFileSync(`${hub.dataDir}/repos/acme/shared/commits/${head}.json`, 'utf8')) as {
        parents: string[];
      };
      initial = head;
      head = c.parents[0];
      depth++;
    }
    expect(depth).toBe(11);

    // a writer that raced with a stale parent is refused with a clear parentCommit error
    await expect(
      commit({
        repo: 'acme/shared',
        ...common,
        title: 'stale',
        parentCommit: initial,
        operations: [{ operation: 'addOrUpdate', path: 'late.txt', content: new Blob(['x']) }],
      }),
    ).rejects.toThrow(/parentCommit .* is not the head of 'main'/);
  });
});
