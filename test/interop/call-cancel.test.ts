// CANCEL while ringing: the caller gets 200 for the CANCEL and 487 for the INVITE, the INVITE to the callee is cancelled (SIPp caller and callee through the PBX).
import t from 'tap';
import { scenarioCallTests } from './harness.js';

await scenarioCallTests(t, 'CANCEL while ringing: the caller gets 200 for the CANCEL and 487 for the INVITE, the INVITE to the callee is cancelled', {
  callerScenario: 'uac-cancel.xml',
  calleeScenario: 'uas-ring.xml',
  cdrStatus: 'missed',
});
