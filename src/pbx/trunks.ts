// The PBX's outside lines as src/pbx.ts and the in-process test PBX both start them: one
// TrunkService on the PBX's transactions, registrations of the config's register trunks started
// at once. CallControl gets it as `trunks`; a reload calls apply(config), shutdown close().
import type { Config } from '../config/types.js';
import type { TransportName } from '../sip/message.js';
import { realClock, type Clock, type TransactionLayer } from '../sip/transaction/types.js';
import { TrunkService } from '../trunks/service.js';
import type { Log } from '../util/log.js';

export interface TrunkParts {
  transactions: TransactionLayer;
  /** Our Contact URI on a transport as the peer at address `to` sees it (the trunk's user name replaces its user part). */
  localContact: (transport: TransportName, to?: string) => string;
  log: Log;
  clock?: Clock;
}

export function startTrunks(config: Config, p: TrunkParts): TrunkService {
  const trunks = new TrunkService({
    transactions: p.transactions,
    localContact: p.localContact,
    clock: p.clock ?? realClock,
    log: p.log.child({ layer: 'trunks' }),
    userAgent: config.sip.user_agent,
  });
  trunks.apply(config);
  return trunks;
}
