// BYE from the callee ends the call on both sides (SIPp caller and callee through the PBX).
import t from 'tap';
import { scenarioCallTests } from './harness.js';

await scenarioCallTests(t, 'BYE from the callee ends the call on both sides', {
  callerScenario: 'uac-callee-bye.xml',
  calleeScenario: 'uas-bye.xml',
  cdrStatus: 'answered',
});
