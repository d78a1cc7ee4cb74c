// The load benchmark's attacker, in its own process so its client-side work does not slow the honest
// clients' event loop: replays H1 (40k-key YAML, anonymous and with a token), H2 (tree/main?limit=1 and
// 5,000 missing paths over a 20,000-folder repo) and H5 (20 half-sent bodies a round) until time is up.
// Usage: vite-node bench/attacker.ts -- URL TOKEN REPO SECONDS
import { halfSentBodies, send, yamlKeys, type Target } from '../src/test-utils/attacks.js';

const [url, token, repo, seconds] = process.argv.slice(2).filter((a) => a !== '--');
if (!url || !token || !repo || !seconds) throw new Error('usage: attacker.ts URL TOKEN REPO SECONDS');
const t: Target = { url, tokens: { alice: token, bob: token, carol: token } };
const until = Date.now() + Number(seconds) * 1000;
// bodies built once: the attacker's own CPU is not what is measured
const yaml = JSON.stringify({ content: yamlKeys(40_000), repoType: 'model' });
const paths = JSON.stringify({ paths: Array.from({ length: 5000 }, (_, i) => `missing/${i}/file.bin`) });
let rounds = 0;
const slow: Array<Promise<unknown>> = [];
while (Date.now() < until) {
  slow.push(halfSentBodies(t, 20, Math.max(1000, until - Date.now())));
  await send(t, 'POST', '/api/validate-yaml', { body: yaml }).catch(() => null);
  await send(t, 'POST', '/api/validate-yaml', { body: yaml, token }).catch(() => null);
  await send(t, 'GET', `/api/models/${repo}/tree/main?limit=1`).catch(() => null);
  await send(t, 'POST', `/api/models/${repo}/paths-info/main`, { body: paths }).catch(() => null);
  rounds++;
}
await Promise.all(slow);
process.stdout.write(`rounds ${rounds}\n`);
