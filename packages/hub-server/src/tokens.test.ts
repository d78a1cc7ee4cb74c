import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { refusalOf, tempDir, writeOversizeJson } from '#test-support';
import { MAX_CONFIG_FILE_BYTES } from '@cliphub/core';
import { describe, expect, it } from 'vitest';
import { HubConfigError } from './errors.js';
import { createHubServer } from './server.js';
import { loadTokensFile, parseTokens } from './tokens.js';

const SECRET = 'hf_s3cretTokenValue0123456789';

/** The error parseTokens throws for `text`, checked to be one line that never shows the token. */
function refusal(text: string): HubConfigError {
  try {
    parseTokens(text);
  } catch (e) {
    expect(e).toBeInstanceOf(HubConfigError);
    const err = e as HubConfigError;
    expect(err.code).toBe('BAD_TOKENS_FILE');
    expect(err.exitCode).toBe(2);
    expect(err.message).not.toContain(SECRET);
    expect(err.message).not.toContain('s3cret');
    expect(err.message).not.toContain('\n');
    return err;
  }
  throw new Error(`accepted: ${text}`);
}

describe('H8: a strict tokens file that never echoes a token', () => {
  it('refuses a misordered line with the ROLE second (the token would have been printed)', () => {
    expect(refusal(`alice write ${SECRET}`).message).toMatch(/line 1: ROLE is out of place/);
  });

  it('refuses a misordered line with the token as the user (it used to be accepted silently)', () => {
    expect(refusal(`# team\nalice ${SECRET} write`).message).toMatch(/line 2: field 1 \(TOKEN\) is shorter than 16/);
    expect(refusal(`hf_other_0123456789abcdef ${SECRET} write`).message).toMatch(/field 2 \(USER\) starts with 'hf_'/);
    expect(refusal(`hf_other_0123456789abcdef alice write acme,${SECRET}`).message).toMatch(/field 4 \(ORG\)/);
  });

  it('refuses other malformed lines by line and field only', () => {
    expect(refusal(`${SECRET} alice`).message).toMatch(/expected 3 or 4 fields, found 2/);
    expect(refusal(`${SECRET} alice admin`).message).toMatch(/field 3 \(ROLE\) must be 'read' or 'write'/);
    expect(refusal(`${SECRET} al/ice write`).message).toMatch(/field 2 \(USER\) is not a valid name/);
    expect(refusal(`${SECRET} alice write\n${SECRET} bob read`).message).toMatch(/line 2: this token already appears/);
    expect(refusal(`${SECRET} alice write a b`).message).toMatch(/found 5/);
  });

  it('accepts the documented format, comments and blank lines', () => {
    const tokens = parseTokens(
      `# TOKEN USER ROLE [ORG,...]\n\n${SECRET} alice write acme,labs # ci\nhf_read_0123456789abcd bob read\n`,
    );
    expect([...tokens.values()]).toEqual([
      { user: 'alice', role: 'write', orgs: ['acme', 'labs'] },
      { user: 'bob', role: 'read', orgs: [] },
    ]);
  });

  it('the server refuses to start on such a file, with the same one line', async () => {
    const { dir, cleanup } = tempDir('cliphub-tokens-');
    try {
      const tokensFile = path.join(dir, 'tokens');
      writeFileSync(tokensFile, `alice write ${SECRET}\n`);
      const started = createHubServer({ dataDir: path.join(dir, 'data'), tokensFile });
      await expect(started).rejects.toThrow(/tokens file line 1: ROLE is out of place/);
      await expect(started).rejects.not.toThrow(new RegExp(SECRET));
      await expect(
        createHubServer({ dataDir: path.join(dir, 'data'), tokensFile: path.join(dir, 'none') }),
      ).rejects.toThrow(/cannot read the tokens file .*none: ENOENT/);
    } finally {
      cleanup();
    }
  });
});

describe('loadTokensFile on a hostile file', () => {
  it('refuses an oversized tokens file with one exit-2 line, and a missing one by its errno', async () => {
    const tmp = tempDir('cliphub-tokens-');
    try {
      const huge = writeOversizeJson(path.join(tmp.dir, 'tokens'), MAX_CONFIG_FILE_BYTES);
      expect(await refusalOf(() => loadTokensFile(huge))).toMatchObject({
        code: 'BAD_TOKENS_FILE',
        exitCode: 2,
        message: expect.stringMatching(/^cannot read the tokens file .*: tokens file .* is over 8 MiB/),
      });
      expect(await refusalOf(() => loadTokensFile(path.join(tmp.dir, 'missing')))).toMatchObject({
        code: 'BAD_TOKENS_FILE',
        message: expect.stringMatching(/missing: ENOENT$/),
      });
    } finally {
      tmp.cleanup();
    }
  });
});
