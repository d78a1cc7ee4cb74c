import type { z } from 'zod';
import { readSmallJsonFile } from '@cliphub/core';
import { RegistryError, type RegistryErrorCode } from './errors.js';
import { describeIssues } from './schema.js';

/** How a registry file is named in messages, its error code, and what to do when it is broken. */
export interface RegistryFileRole {
  code: RegistryErrorCode;
  /** Says the file is not readable JSON (`reason` explains why). */
  badJson: (reason: string) => string;
  /** Says the file fails its schema (`issues` are describeIssues'). */
  badSchema: (issues: string) => string;
}

/**
 * Reads a registry JSON file (the bundled data or the user's models.json) size-capped and checks it
 * against its schema; either failure is one RegistryError line with the role's code and advice.
 */
export function readValidatedJson<T>(file: string, schema: z.ZodType<T>, role: RegistryFileRole): T {
  const raw = readSmallJsonFile(file, 'registry file', (reason) => new RegistryError(role.code, role.badJson(reason)));
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new RegistryError(role.code, role.badSchema(describeIssues(parsed.error)));
  return parsed.data;
}
