import { writeFileSync } from 'node:fs';

/**
 * Writes FILE as valid JSON that is just over `maxBytes` long, so a test shows a size cap refusing it
 * rather than a parse error.
 */
export function writeOversizeJson(file: string, maxBytes: number): string {
  writeFileSync(file, `{"pad": "${'x'.repeat(maxBytes)}"}`);
  return file;
}

/** What a refusal carries that a script or a user sees: the stable code, the exit code and the one line. */
export interface Refusal {
  code: unknown;
  exitCode: unknown;
  message: string;
}

/**
 * Runs `run` (sync or async) and returns what it threw. Throws itself when nothing was thrown or when
 * the message spans lines, so a test of a refusal cannot pass on a call that succeeded.
 */
export async function refusalOf(run: () => unknown): Promise<Refusal> {
  let thrown: unknown;
  try {
    await run();
  } catch (e) {
    thrown = e;
  }
  if (!(thrown instanceof Error)) throw new Error(`expected a refusal, got ${String(thrown)}`);
  if (thrown.message.includes('\n')) throw new Error(`a refusal is one line, got: ${thrown.message}`);
  const { code, exitCode } = thrown as Error & { code?: unknown; exitCode?: unknown };
  return { code, exitCode, message: thrown.message };
}
