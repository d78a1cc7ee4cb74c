import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir, writeOversizeJson } from '#test-support';
import { readTransformersJsLayout } from './read-layout.js';

const tmp = tempDir('cliphub-read-layout-');
afterAll(tmp.cleanup);

/** A folder with every file of the layout, config.json as `writeConfig` leaves it. */
function layoutDir(name: string, writeConfig: (file: string) => void): string {
  const dir = path.join(tmp.dir, name);
  mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  for (const f of ['preprocessor_config.json', 'tokenizer.json', 'open_clip_config.json'])
    writeFileSync(path.join(dir, f), '{}');
  for (const g of ['text_model', 'vision_model', 'model']) writeFileSync(path.join(dir, 'onnx', `${g}.onnx`), '');
  writeConfig(path.join(dir, 'config.json'));
  return dir;
}

describe('readTransformersJsLayout', () => {
  it("reads config.json's model_type", () => {
    const dir = layoutDir('ok', (file) => writeFileSync(file, '{"model_type": "siglip"}'));
    expect(readTransformersJsLayout(dir)?.modelType).toBe('siglip');
  });

  it('is not fooled into reading an oversized config.json or a FIFO: neither is its layout', () => {
    expect(readTransformersJsLayout(layoutDir('huge', (file) => writeOversizeJson(file, 1024 * 1024)))).toBeNull();
    const fifo = layoutDir('fifo', (file) => execFileSync('mkfifo', [file]));
    expect(readTransformersJsLayout(fifo)).toBeNull();
  });
});
