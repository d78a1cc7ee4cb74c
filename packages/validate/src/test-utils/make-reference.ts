import path from 'node:path';
import { repoRoot, runPythonRawAsync, type PyResult } from '#test-support';

export const makeReferenceScript = path.join(repoRoot, 'tools/reference/make_reference.py');

/** Runs tools/reference/make_reference.py in the oracle venv; resolves with its exit code and output. */
export function makeReference(args: string[]): Promise<PyResult> {
  return runPythonRawAsync([makeReferenceScript, ...args]);
}

/** make_reference.py for the model in `dir`, fed the inputs of the reference it already has. */
export function remakeReference(dir: string, out: string): Promise<PyResult> {
  return makeReference([`local-dir:${dir}`, '--out', out, '--inputs-from', path.join(dir, 'reference.safetensors')]);
}
