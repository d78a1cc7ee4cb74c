import { copyFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { refusalOf, tempDir, writeOversizeJson } from '#test-support';
import { MAX_CONFIG_FILE_BYTES } from '@cliphub/core';
import { loadRegistryData, registryDataDir } from './data.js';
import { architecturesFileSchema, pretrainedFileSchema, towersFileSchema } from './schema.js';

// Runs everywhere (no ../shared needed): the committed data is complete and passes its schema.
describe('committed registry data', () => {
  const dir = registryDataDir();
  const read = (f: string): unknown => JSON.parse(readFileSync(path.join(dir, f), 'utf8'));

  it('passes the zod schemas', () => {
    expect(architecturesFileSchema.safeParse(read('architectures.json')).success).toBe(true);
    expect(pretrainedFileSchema.safeParse(read('pretrained.json')).success).toBe(true);
    expect(towersFileSchema.safeParse(read('towers.json')).success).toBe(true);
  });

  it('has 144 architectures and 196 unique pairs, each pair naming a known architecture', () => {
    const d = loadRegistryData();
    expect(Object.keys(d.architectures.architectures)).toHaveLength(144);
    expect(d.pretrained.entries).toHaveLength(196);
    expect(new Set(d.pretrained.entries.map((e) => `${e.arch}:${e.tag}`)).size).toBe(196);
    for (const e of d.pretrained.entries) expect(d.architectures.architectures[e.arch], e.arch).toBeDefined();
  });

  it('knows the activation of every timm and Hugging Face tower a config names', () => {
    const d = loadRegistryData();
    for (const [name, a] of Object.entries(d.architectures.architectures)) {
      const timm = a.config.vision_cfg.timm_model_name;
      if (timm) expect(d.towers.timm[timm], `${name} -> ${timm}`).toBeDefined();
      const hf = a.config.text_cfg.hf_model_name;
      if (hf) expect(d.towers.hf[hf], `${name} -> ${hf}`).toBeDefined();
    }
  });

  it('stays compact', () => {
    const total = ['architectures.json', 'pretrained.json', 'towers.json'].reduce(
      (n, f) => n + statSync(path.join(dir, f)).size,
      0,
    );
    expect(total).toBeLessThan(400 * 1024);
  });

  it('rejects a file that breaks the schema', () => {
    const bad = structuredClone(read('pretrained.json')) as { entries: Array<Record<string, unknown>> };
    bad.entries[0]!.interpolation = 'nearest';
    expect(pretrainedFileSchema.safeParse(bad).success).toBe(false);
  });

  it('is found from the repo registry/ folder (src and dist are at the same depth)', () => {
    expect(existsSync(path.join(dir, 'pretrained.json'))).toBe(true);
    expect(registryDataDir({ CLIPHUB_REGISTRY_DIR: dir })).toBe(dir);
  });
});

describe('registry data from $CLIPHUB_REGISTRY_DIR', () => {
  const tmp = tempDir('cliphub-registry-data-');
  afterAll(() => {
    vi.unstubAllEnvs();
    tmp.cleanup();
  });

  it('refuses an oversized data file with one exit-2 line', async () => {
    for (const f of ['architectures.json', 'towers.json'])
      copyFileSync(path.join(registryDataDir(), f), path.join(tmp.dir, f));
    writeOversizeJson(path.join(tmp.dir, 'pretrained.json'), MAX_CONFIG_FILE_BYTES);
    vi.stubEnv('CLIPHUB_REGISTRY_DIR', tmp.dir);
    vi.resetModules(); // loadRegistryData caches per module instance
    const fresh = await import('./data.js');
    expect(await refusalOf(() => fresh.loadRegistryData())).toMatchObject({
      code: 'BAD_DATA',
      exitCode: 2,
      message: expect.stringMatching(
        /^registry data .*pretrained\.json is not readable JSON \(.*is over 8 MiB.*; regenerate it/,
      ),
    });
  });
});
