import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '#test-support';
import { hfConfigFor, MAX_HF_CONFIG_BYTES } from './hf-config-for.js';

const tmp = tempDir('cliphub-hfcfg-for-');
afterAll(tmp.cleanup);

function dirWith(name: string, config?: unknown): string {
  const dir = path.join(tmp.dir, name);
  mkdirSync(dir, { recursive: true });
  if (config !== undefined) writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return path.join(dir, 'open_clip_model.safetensors');
}

describe('hfConfigFor', () => {
  const hf = (name: string) => ({ text_cfg: { hf_model_name: name } });

  it('reads a config.json beside the checkpoint', () => {
    const cfg = { model_type: 'xlm-roberta', hidden_size: 64 };
    expect(hfConfigFor(hf('my-org/x'), dirWith('a', cfg))).toEqual(cfg);
    expect(hfConfigFor(hf('xlm-roberta-base'), dirWith('b', cfg))).toEqual(cfg);
  });

  it("ignores a config.json that is not the text tower's (a Hub repo's CLIP config, no model_type)", () => {
    expect(hfConfigFor(hf('xlm-roberta-base'), dirWith('c', { model_type: 'clip' }))).toBeUndefined();
    expect(hfConfigFor(hf('my-org/x'), dirWith('d', { hidden_size: 3 }))).toBeUndefined();
    expect(hfConfigFor(hf('my-org/x'), dirWith('e'))).toBeUndefined();
  });

  it('--hf-config wins, and must be a config.json of an HF tower', () => {
    const file = path.join(tmp.dir, 'given.json');
    writeFileSync(file, JSON.stringify({ model_type: 'm2m_100', d_model: 8 }));
    expect(hfConfigFor(hf('my-org/x'), dirWith('f', { model_type: 'roberta' }), file)).toEqual({
      model_type: 'm2m_100',
      d_model: 8,
    });
    expect(() => hfConfigFor(hf('my-org/x'), dirWith('g'), path.join(tmp.dir, 'nope.json'))).toThrow(
      /not a readable JSON object/,
    );
    writeFileSync(file, '{"d_model": 8}');
    expect(() => hfConfigFor(hf('my-org/x'), dirWith('h'), file)).toThrow(/has no model_type/);
    expect(() => hfConfigFor({ text_cfg: {} }, dirWith('i'), file)).toThrow(/Hugging Face text towers only/);
    expect(hfConfigFor({ text_cfg: {} }, dirWith('j', { model_type: 'roberta' }))).toBeUndefined();
  });
});

describe('hfConfigFor on hostile files', () => {
  const hf = { text_cfg: { hf_model_name: 'my-org/x' } };

  it('refuses an oversized --hf-config or config.json with exit 2, without reading it whole', () => {
    const big = path.join(tmp.dir, 'big.json');
    writeFileSync(big, `{"model_type": "roberta", "pad": "${'x'.repeat(MAX_HF_CONFIG_BYTES)}"}`);
    for (const run of [
      () => hfConfigFor(hf, dirWith('k'), big),
      () => {
        const checkpoint = dirWith('l');
        writeFileSync(path.join(path.dirname(checkpoint), 'config.json'), readFileSync(big));
        return hfConfigFor(hf, checkpoint);
      },
    ]) {
      expect(run).toThrow(/is over 1 MiB/);
      try {
        run();
      } catch (e) {
        expect(e).toMatchObject({ code: 'BAD_HF_CONFIG', exitCode: 2 });
      }
    }
  });

  it('treats a --hf-config that is a directory or a device as unreadable', () => {
    expect(() => hfConfigFor(hf, dirWith('m'), tmp.dir)).toThrow(/not a readable JSON object/);
    expect(() => hfConfigFor(hf, dirWith('n'), '/dev/zero')).toThrow(/not a readable JSON object/);
  });
});
