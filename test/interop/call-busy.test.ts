// 486 from the callee reaches the caller (SIPp caller and callee through the PBX).
import t from 'tap';
import { scenarioCallTests } from './harness.js';

await scenarioCallTests(t, '486 from the callee reaches the caller', {
  callerScenario: 'uac-busy.xml',
  calleeScenario: 'uas-busy.xml',
  cdrStatus: 'busy',
});
