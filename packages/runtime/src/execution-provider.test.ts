import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '#test-support';
import { checkExecutionProvider, ortBinaryDir } from './execution-provider.js';

describe('checkExecutionProvider', () => {
  it('cpu is always available and the binding dir is where onnxruntime-node keeps its library', () => {
    expect(checkExecutionProvider('cpu')).toBe('cpu');
    expect(existsSync(path.join(ortBinaryDir(), 'onnxruntime_binding.node'))).toBe(true);
  });

  it('cuda without the provider library fails with the install command', () => {
    const { dir, cleanup } = tempDir();
    try {
      expect(() => checkExecutionProvider('cuda', dir)).toThrow(
        expect.objectContaining({
          code: 'CUDA_UNAVAILABLE',
          exitCode: 2,
          message: expect.stringContaining(
            'ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js',
          ),
        }),
      );
    } finally {
      cleanup();
    }
  });

  it('an unknown provider is a bad input', () => {
    expect(() => checkExecutionProvider('tpu')).toThrow(
      expect.objectContaining({ code: 'BAD_INPUT', message: expect.stringContaining('use cpu or cuda') }),
    );
  });
});
