// config.example.yaml with a test setup's ports and data directory: the shipped comments and
// layout, for tests of config editing.
import { readFileSync } from 'node:fs';
import type { PbxSetup } from './harness.js';

export const EXAMPLE = readFileSync(new URL('../../config.example.yaml', import.meta.url), 'utf8');

export function shippedConfig(setup: PbxSetup): string {
  const swaps: [string, string][] = [
    ['data_dir: ./data', `data_dir: ${JSON.stringify(setup.dataDir)}`],
    ['listen: ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"]', `listen: ["udp:127.0.0.1:${setup.sipPort}"]`],
    ['ports: "20000-20999"', `ports: "${setup.rtp.min}-${setup.rtp.max}"`],
    ['listen: "127.0.0.1:8088"', `listen: "127.0.0.1:${setup.httpPort}"`],
  ];
  return swaps.reduce((text, [from, to]) => {
    if (!text.includes(from)) throw new Error(`config.example.yaml no longer has ${from}`);
    return text.replace(from, to);
  }, EXAMPLE);
}
