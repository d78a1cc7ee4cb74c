import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '#test-support';
import { locateCheckpoint } from './locate-checkpoint.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

function dir(name: string, files: string[]): string {
  const d = path.join(tmp.dir, name);
  mkdirSync(d, { recursive: true });
  for (const f of files) writeFileSync(path.join(d, f), 'x');
  return d;
}

describe('locateCheckpoint', () => {
  it("prefers open_clip's own file names, then the newest epoch", () => {
    expect(
      path.basename(
        locateCheckpoint(dir('a', ['epoch_3.pt', 'open_clip_pytorch_model.bin', 'open_clip_model.safetensors']))
          .checkpoint,
      ),
    ).toBe('open_clip_model.safetensors');
    expect(path.basename(locateCheckpoint(dir('b', ['epoch_3.pt', 'epoch_12.pt', 'epoch_9.pt'])).checkpoint)).toBe(
      'epoch_12.pt',
    );
    expect(path.basename(locateCheckpoint(dir('c', ['notes.txt', 'weights.pth'])).checkpoint)).toBe('weights.pth');
  });

  it('pairs the checkpoint with an open_clip_config.json beside it', () => {
    const d = dir('d', ['open_clip_pytorch_model.bin', 'open_clip_config.json']);
    expect(locateCheckpoint(d).config).toBe(path.join(d, 'open_clip_config.json'));
    expect(locateCheckpoint(path.join(d, 'open_clip_pytorch_model.bin')).config).toBe(
      path.join(d, 'open_clip_config.json'),
    );
    expect(locateCheckpoint(dir('e', ['model.safetensors'])).config).toBeNull();
  });

  it('says what it looked for when a folder holds no checkpoint, or the path does not exist', () => {
    expect(() => locateCheckpoint(dir('f', ['README.md']))).toThrow(/no checkpoint in .*open_clip_model.safetensors/);
    expect(() => locateCheckpoint(path.join(tmp.dir, 'missing'))).toThrow(/does not exist/);
  });
});
