import { spawn } from 'node:child_process';
import path from 'node:path';
import { oraclePython, repoRoot } from '#test-support';

export const makeReferenceScript = path.join(repoRoot, 'tools/reference/make_reference.py');

/** Runs tools/reference/make_reference.py in the oracle venv; resolves with its exit code and output. */
export function makeReference(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(oraclePython, ['-W', 'ignore', makeReferenceScript, ...args], { cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
