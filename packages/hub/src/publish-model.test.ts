import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '#test-support';
import { HubClientError } from './errors.js';
import { hubUrlFrom, publishModel, requireToken } from './publish-model.js';

const tmp = tempDir('cliphub-publish-');
afterAll(() => tmp.cleanup());
const noTokenEnv = { HF_HOME: path.join(tmp.dir, 'no-hf-home') };

describe('publishModel', () => {
  it('the Hub comes from the caller, else HF_ENDPOINT, else huggingface.co', () => {
    expect(hubUrlFrom({}, 'http://a')).toBe('http://a');
    expect(hubUrlFrom({ HF_ENDPOINT: 'http://b' })).toBe('http://b');
    expect(hubUrlFrom({})).toBe('https://huggingface.co');
  });

  it('without a token: NO_TOKEN, exit 2, saying how to provide one', () => {
    expect(() => requireToken(noTokenEnv)).toThrow(HubClientError);
    expect(() => requireToken(noTokenEnv)).toThrow(/set HF_TOKEN or log in with huggingface_hub/);
    expect(requireToken({ HF_TOKEN: ' hf_abc ' })).toBe('hf_abc');
  });

  it('a folder without the open_clip files is BAD_FOLDER naming the missing file, before any request', async () => {
    const dir = path.join(tmp.dir, 'half');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'open_clip_config.json'), '{}');
    const failingFetch = (() => {
      throw new Error('no request may be made');
    }) as typeof fetch;
    const err = await publishModel({
      repo: 'org/model',
      modelDir: dir,
      card: {},
      token: 'hf_test',
      hubUrl: 'http://127.0.0.1:9',
      fetch: failingFetch,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubClientError);
    expect(err).toMatchObject({ code: 'BAD_FOLDER', exitCode: 2 });
    expect((err as Error).message).toContain(path.join(dir, 'open_clip_model.safetensors'));
  });
});
