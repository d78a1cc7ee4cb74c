import {
  createRepo,
  deleteRepo,
  downloadFile,
  fileExists,
  listFiles,
  modelInfo,
  pathsInfo,
  uploadFiles,
  whoAmI,
  commit,
} from '@huggingface/hub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKENS, bytes, startTestHub, type TestHub } from './test-utils/server.js';

describe('hub server with the @huggingface/hub JS client', () => {
  let hub: TestHub;
  const big = bytes(11 * 1024 * 1024 + 123, 7); // over 10 MiB: multipart, 3 parts
  const small = bytes(3000, 3);
  beforeAll(async () => {
    hub = await startTestHub({ pageSize: 3 });
  });
  afterAll(async () => hub.cleanup());

  it('whoami reports the user, orgs and token role', async () => {
    const me = await whoAmI({ accessToken: TOKENS.alice, hubUrl: hub.url });
    expect(me.name).toBe('alice');
    expect(me.type).toBe('user');
    if (me.type === 'user') expect(me.orgs.map((o) => o.name)).toEqual(['acme']);
  });

  it('creates, uploads (basic + multipart), lists with pagination and downloads byte-identical', async () => {
    const repo = 'acme/tiny';
    const common = { accessToken: TOKENS.alice, hubUrl: hub.url };
    await createRepo({ repo, ...common });
    await expect(createRepo({ repo, ...common })).rejects.toThrow(/already created/);
    const files = [
      { path: 'config.json', content: new Blob(['{"a":1}\n']) },
      { path: 'weights/model.safetensors', content: new Blob([small]) },
      { path: 'weights/big.bin', content: new Blob([big]) },
      { path: 'docs/a.txt', content: new Blob(['a']) },
      { path: 'docs/b.txt', content: new Blob(['b']) },
    ];
    const res = await uploadFiles({ repo, files, ...common, useWebWorkers: false });
    expect(res?.commit.oid).toMatch(/^[0-9a-f]{40}$/);
    // the 11 MiB file went through multipart: three 5 MiB parts, then completion
    expect(hub.logLines.filter((l) => /PUT \/_lfs\/upload\/\*\*\*\/part\/\d 200/.test(l))).toHaveLength(3);

    const listed = [];
    for await (const f of listFiles({ repo, recursive: true, ...common })) listed.push(f);
    // pageSize 3 forces 3 pages for 8 entries (6 files + 2 folders... + weights) via absolute Link headers
    expect(listed.map((f) => f.path)).toEqual([
      '.gitattributes',
      'config.json',
      'docs',
      'docs/a.txt',
      'docs/b.txt',
      'weights',
      'weights/big.bin',
      'weights/model.safetensors',
    ]);
    const bigEntry = listed.find((f) => f.path === 'weights/big.bin');
    expect(bigEntry?.lfs?.size).toBe(big.length);
    expect(listed.some((l) => l.type === 'directory' && l.oid)).toBe(true);
    expect(hub.logLines.filter((l) => / GET \/api\/models\/acme\/tiny\/tree\//.test(l)).length).toBeGreaterThanOrEqual(
      3,
    );

    for (const [p, want] of [
      ['weights/big.bin', big],
      ['weights/model.safetensors', small],
      ['config.json', Buffer.from('{"a":1}\n')],
    ] as const) {
      const blob = await downloadFile({ repo, path: p, ...common });
      expect(Buffer.from(await blob!.arrayBuffer()).equals(want)).toBe(true);
    }
    const info = await modelInfo({ name: repo, ...common, additionalFields: ['sha'] });
    expect(info.id).toBeDefined();
    const pi = await pathsInfo({ repo, paths: ['weights/big.bin', 'nope'], ...common, expand: true });
    expect(pi).toHaveLength(1);
    expect(pi[0]?.lfs?.oid).toMatch(/^[0-9a-f]{64}$/);
    expect(pi[0]?.lastCommit?.id).toBe(res?.commit.oid);
    expect(await fileExists({ repo, path: 'config.json', ...common })).toBe(true);
    expect(await fileExists({ repo, path: 'missing.txt', ...common })).toBe(false);
  });

  it('honors parentCommit and create_pr', async () => {
    const repo = 'alice/prs';
    const common = { accessToken: TOKENS.alice, hubUrl: hub.url };
    await createRepo({ repo, ...common });
    const first = await commit({
      repo,
      ...common,
      title: 'one',
      operations: [{ operation: 'addOrUpdate', path: 'x.txt', content: new Blob(['1']) }],
    });
    await expect(
      commit({
        repo,
        ...common,
        title: 'stale',
        parentCommit: '0'.repeat(40),
        operations: [{ operation: 'addOrUpdate', path: 'x.txt', content: new Blob(['2']) }],
      }),
    ).rejects.toThrow(/parentCommit .* is not the head/);
    const pr = await commit({
      repo,
      ...common,
      title: 'pr',
      isPullRequest: true,
      parentCommit: first?.commit.oid,
      operations: [{ operation: 'addOrUpdate', path: 'x.txt', content: new Blob(['3']) }],
    });
    expect(pr?.pullRequestUrl).toMatch(/\/alice\/prs\/discussions\/1$/);
    const onPr = await downloadFile({ repo, path: 'x.txt', revision: 'refs/pr/1', ...common });
    expect(await onPr!.text()).toBe('3');
    const onMain = await downloadFile({ repo, path: 'x.txt', ...common });
    expect(await onMain!.text()).toBe('1');
    const atCommit = await downloadFile({ repo, path: 'x.txt', revision: first!.commit.oid, ...common });
    expect(await atCommit!.text()).toBe('1');
    await deleteRepo({ repo, ...common });
    await expect(modelInfo({ name: repo, ...common })).rejects.toThrow(/not found/);
  });
});
