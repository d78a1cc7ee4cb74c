import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { RuntimeError } from './errors.js';

export type ExecutionProvider = 'cpu' | 'cuda';

// The repo denies onnxruntime-node's install script (package.json allowScripts), so the CUDA download is run by hand.
export const CUDA_INSTALL_HINT =
  'install them with `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js` (needs CUDA 12, cuDNN 9 and the network once; see the README "GPU (CUDA)"), or use --device cpu';

/** The folder holding onnxruntime-node's native binding, where its CUDA provider library must also live. */
export function ortBinaryDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = path.dirname(require.resolve('onnxruntime-node/package.json'));
  return path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
}

/** Fails with a precise message when the CUDA provider files were never installed (they are not in the npm tarball). */
export function checkExecutionProvider(ep: string, binaryDir = ortBinaryDir()): ExecutionProvider {
  if (ep === 'cpu') return ep;
  if (ep !== 'cuda')
    throw new RuntimeError('BAD_INPUT', `execution provider ${JSON.stringify(ep)} is not supported; use cpu or cuda`);
  if (process.platform !== 'linux' && process.platform !== 'win32') {
    throw new RuntimeError('CUDA_UNAVAILABLE', `onnxruntime-node has no CUDA build for ${process.platform}; use cpu`);
  }
  const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  if (!existsSync(path.join(binaryDir, lib))) {
    throw new RuntimeError(
      'CUDA_UNAVAILABLE',
      `CUDA requested but onnxruntime-node's CUDA files are not installed (${path.join(binaryDir, lib)} missing); ${CUDA_INSTALL_HINT}`,
    );
  }
  return ep;
}
