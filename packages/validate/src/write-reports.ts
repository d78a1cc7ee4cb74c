import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Regression } from './baseline.js';
import { toHtmlReport } from './html-report.js';
import { toJunitXml } from './junit.js';
import { toJson } from './json-report.js';
import type { ValidationResult } from './validate.js';

export interface ReportInputs {
  results: ValidationResult[];
  regressions?: Regression[];
  errors?: Array<{ name: string; message: string }>;
  title?: string;
}

/** Writes report.json, junit.xml and report.html into `dir`; returns their paths. */
export async function writeReports(
  dir: string,
  inputs: ReportInputs,
): Promise<{ json: string; junit: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const files = {
    json: path.join(dir, 'report.json'),
    junit: path.join(dir, 'junit.xml'),
    html: path.join(dir, 'report.html'),
  };
  await writeFile(files.json, `${JSON.stringify(toJson(inputs), null, 2)}\n`);
  await writeFile(
    files.junit,
    toJunitXml(inputs.results, { regressions: inputs.regressions ?? [], errors: inputs.errors ?? [] }),
  );
  await writeFile(files.html, toHtmlReport(inputs.results, inputs));
  return files;
}
