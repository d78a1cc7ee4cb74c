import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { needsShared, sharedUpstream } from '#test-support';
import { describe, expect, it } from 'vitest';
import { loadRegistryData } from './data.js';

// Every upstream value must be present and equal in the committed registry/ (in cliphub's own layout).
interface UpstreamEntry {
  architecture: string;
  tag: string;
  url: string;
  hf_hub: string;
  mean: number[];
  std: number[];
  interpolation: string;
  resize_mode: string;
  quick_gelu?: boolean;
  [k: string]: unknown;
}

function csv(file: string): Array<Record<string, string>> {
  const [head, ...rows] = readFileSync(file, 'utf8').trimEnd().split('\n');
  const cols = head!.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [cols[i], v])));
}

describe.skipIf(!needsShared('registry conformance against ../shared/upstream') || !sharedUpstream)(
  'conformance with open_clip 3.3.0 upstream data',
  () => {
    const up = sharedUpstream!;
    const data = loadRegistryData();

    it('holds all 144 model configs, each deep-equal to its upstream JSON', () => {
      const files = readdirSync(path.join(up, 'model_configs')).filter((f) => f.endsWith('.json'));
      expect(files).toHaveLength(144);
      expect(Object.keys(data.architectures.architectures).sort()).toEqual(files.map((f) => f.slice(0, -5)).sort());
      for (const f of files) {
        const upstream: unknown = JSON.parse(readFileSync(path.join(up, 'model_configs', f), 'utf8'));
        expect(data.architectures.architectures[f.slice(0, -5)]!.config, f).toStrictEqual(upstream);
      }
    });

    it('holds all 196 pretrained pairs in upstream order with every field equal', () => {
      const entries = (
        JSON.parse(readFileSync(path.join(up, 'pretrained.json'), 'utf8')) as { entries: UpstreamEntry[] }
      ).entries;
      expect(entries).toHaveLength(196);
      expect(data.pretrained.entries.map((e) => `${e.arch}:${e.tag}`)).toEqual(
        entries.map((e) => `${e.architecture}:${e.tag}`),
      );
      entries.forEach((u, i) => {
        const e = data.pretrained.entries[i]!;
        const id = `${u.architecture}:${u.tag}`;
        // Map cliphub's layout back to upstream's keys, then compare the whole record.
        const back: Record<string, unknown> = {
          architecture: e.arch,
          tag: e.tag,
          url: e.url ?? '',
          hf_hub: e.hfHub ? `${e.hfHub.repo}/${e.hfHub.file ?? ''}` : '',
          mean: e.mean,
          std: e.std,
          interpolation: e.interpolation,
          resize_mode: e.resizeMode,
        };
        if (e.quickGelu !== undefined) back.quick_gelu = e.quickGelu;
        expect(back, id).toStrictEqual(u);
        // The checksum is the one open_clip verifies: the URL's hash folder (OpenAI) or file-name suffix (mlfoundations).
        if (u.url.includes('openaipublic')) expect(e.sha256, id).toBe(u.url.split('/').at(-2));
        else if (u.url.includes('mlfoundations'))
          expect(u.url.replace(/\.[a-z]+$/, '').endsWith(`-${e.sha256}`), id).toBe(true);
        else expect(e.sha256, id).toBeNull();
      });
    });

    it('carries every openclip_results.csv row (ImageNet, 38-dataset average, params, FLOPs) on its pair', () => {
      const rows = csv(path.join(up, 'openclip_results.csv'));
      expect(rows.length).toBeGreaterThan(100);
      for (const r of rows) {
        const e = data.pretrained.entries.find((x) => x.arch === r.name && x.tag === r.pretrained);
        expect(e, `${r.name}:${r.pretrained}`).toBeDefined();
        expect(e!.results).toStrictEqual({
          imagenet1k: Number(r['ImageNet 1k']),
          avg38: Number(r['Average perf. on 38 datasets']),
          mparams: Number(r['params (M)']),
          gflops: Number(r['FLOPs (B)']),
        });
      }
      expect(data.pretrained.entries.filter((e) => e.results !== null)).toHaveLength(rows.length);
    });

    it('carries every model_profile.csv row on its architecture', () => {
      const rows = csv(path.join(up, 'model_profile.csv'));
      for (const r of rows) {
        const p = data.architectures.architectures[r.model!]?.profile;
        expect(p, r.model).toStrictEqual({
          imageSize: Number(r.image_size),
          imageWidth: Number(r.image_width),
          textWidth: Number(r.text_width),
          embedDim: Number(r.embed_dim),
          mparams: Number(r.mparams),
          imageMparams: Number(r.image_mparams),
          textMparams: Number(r.text_mparams),
          gflops: Number(r.gflops),
          imageGflops: Number(r.image_gflops),
          textGflops: Number(r.text_gflops),
        });
      }
      expect(Object.values(data.architectures.architectures).filter((a) => a.profile !== null)).toHaveLength(
        rows.length,
      );
    });
  },
);
