import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createHubServer, type HubServer, type HubServerOptions } from '@cliphub/hub-server';
import { tempDir } from './paths.js';

/** Tokens every test server knows: alice writes to alice + acme, bob reads only, carol writes to carol. */
export const TOKENS = {
  alice: `hf_alice_${randomBytes(8).toString('hex')}`,
  bob: `hf_bob_${randomBytes(8).toString('hex')}`,
  carol: `hf_carol_${randomBytes(8).toString('hex')}`,
};

export interface TestHub extends HubServer {
  dataDir: string;
  logLines: string[];
  tokensFile: string;
  cleanup(): Promise<void>;
}

/** A real server on 127.0.0.1:0 with a temp data dir and a tokens file; `opts` tune its limits. */
export async function startTestHub(
  opts: Pick<HubServerOptions, 'pageSize' | 'limits' | 'rateLimits' | 'timeouts'> = {},
): Promise<TestHub> {
  const { dir, cleanup } = tempDir('cliphub-hub-');
  const tokensFile = path.join(dir, 'tokens.txt');
  writeFileSync(
    tokensFile,
    `# test tokens\n${TOKENS.alice} alice write acme\n${TOKENS.bob} bob read acme\n${TOKENS.carol} carol write\n`,
  );
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir);
  const logLines: string[] = [];
  const server = await createHubServer({
    dataDir,
    tokensFile,
    port: 0,
    host: '127.0.0.1',
    ...opts,
    log: (l) => logLines.push(l),
  });
  return {
    ...server,
    dataDir,
    tokensFile,
    logLines,
    cleanup: async () => {
      await server.close();
      cleanup();
    },
  };
}
