import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '#test-support';
import { DistillError } from './errors.js';
import { findLatestCheckpoint } from './find-checkpoint.js';

const tmp = tempDir('cliphub-distill-ckpt-');
afterAll(tmp.cleanup);

function run(name: string, files: Record<string, number>): string {
  const dir = path.join(tmp.dir, name);
  mkdirSync(path.join(dir, 'checkpoints'), { recursive: true });
  for (const [f, mtime] of Object.entries(files)) {
    const p = path.join(dir, 'checkpoints', f);
    writeFileSync(p, 'x');
    utimesSync(p, mtime, mtime);
  }
  return dir;
}

describe('findLatestCheckpoint', () => {
  it('takes the highest epoch number, not the last in name order', () => {
    const dir = run('numbers', { 'epoch_2.pt': 100, 'epoch_10.pt': 200, 'epoch_9.pt': 150 });
    expect(findLatestCheckpoint(dir)).toEqual({
      runDir: dir,
      checkpoint: path.join(dir, 'checkpoints/epoch_10.pt'),
      epoch: 10,
    });
  });

  it('prefers epoch_latest.pt when it is newer, and accepts the checkpoints folder itself', () => {
    const dir = run('latest', { 'epoch_3.pt': 100, 'epoch_latest.pt': 300 });
    expect(findLatestCheckpoint(path.join(dir, 'checkpoints'))).toEqual({
      runDir: dir,
      checkpoint: path.join(dir, 'checkpoints/epoch_latest.pt'),
      epoch: null,
    });
    const stale = run('stale', { 'epoch_4.pt': 300, 'epoch_latest.pt': 100 });
    expect(findLatestCheckpoint(stale).epoch).toBe(4);
  });

  it('says what is missing', () => {
    const empty = run('empty', {});
    expect(() => findLatestCheckpoint(empty)).toThrowError(
      new DistillError(
        'NO_CHECKPOINT',
        `no epoch_N.pt or epoch_latest.pt in ${path.join(empty, 'checkpoints')}; has the run finished an epoch?`,
      ),
    );
    expect(() => findLatestCheckpoint(path.join(tmp.dir, 'absent'))).toThrowError(
      /run folder .*absent does not exist; give the open_clip_train run folder/,
    );
  });
});
