import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedFixtures, hasOracle } from '#test-support';
import { TorchReaderError } from './errors.js';
import { loadPickleTree } from './open-checkpoint.js';
import { isObject, type PyTensor, type PyValue } from './pyvalue.js';
import { floatStorage } from './test-utils/pickles.js';
import { unwrapStateDict } from './unwrap.js';

const storage = floatStorage();
const t: PyTensor = {
  kind: 'tensor',
  storage,
  dtypeName: null,
  storageOffset: 0,
  shape: [1],
  strides: [1],
  requiresGrad: false,
};

describe('unwrapStateDict', () => {
  it('unwraps a training checkpoint and strips module. when every key has it', () => {
    const root: PyValue = new Map<PyValue, PyValue>([
      ['epoch', 3],
      [
        'state_dict',
        new Map<PyValue, PyValue>([
          ['module.a', t],
          ['module.b.c', t],
        ]),
      ],
      ['optimizer', new Map()],
    ]);
    const u = unwrapStateDict(root, 'x.pt');
    expect(u.tensors.map(([k]) => k)).toEqual(['a', 'b.c']);
    expect(u.dropped).toEqual(['epoch', 'optimizer']);
    expect(u.strippedPrefix).toBe('module.');
  });

  it('keeps module. when only some keys have it, and drops non-tensor entries', () => {
    const u = unwrapStateDict(
      new Map<PyValue, PyValue>([
        ['module.a', t],
        ['b', t],
        ['_extra', 1],
      ]),
      'x.pt',
    );
    expect(u.tensors.map(([k]) => k)).toEqual(['module.a', 'b']);
    expect(u.strippedPrefix).toBeNull();
    expect(u.dropped).toEqual(['_extra']);
  });

  it('refuses a root that is not a dict', () => {
    expect(() => unwrapStateDict([t], 'x.pt')).toThrow(TorchReaderError);
  });
});

describe.skipIf(!hasOracle)('training metadata stays inert', () => {
  it('argparse.Namespace is a record and numpy scalars are numbers', async () => {
    const tree = await loadPickleTree(path.join(generatedFixtures, 'torch-reader/with_args.pt'));
    expect(tree instanceof Map).toBe(true);
    const m = tree as Map<PyValue, PyValue>;
    const args = m.get('args') as PyValue;
    expect(isObject(args) && `${args.module}.${args.name}`).toBe('argparse.Namespace');
    expect(isObject(args) && args.state instanceof Map && args.state.get('model')).toBe('ViT-B-32');
    expect(m.get('best')).toBe(0.75);
    expect(m.get('steps')).toBe(12);
  });
});
