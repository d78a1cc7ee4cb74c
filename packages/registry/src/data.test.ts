import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
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
