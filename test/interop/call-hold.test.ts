// hold by re-INVITE: a=sendonly from the caller reaches the callee, its a=recvonly answer reaches the caller (SIPp caller and callee through the PBX).
import t from 'tap';
import { scenarioCallTests } from './harness.js';

await scenarioCallTests(t, 'hold by re-INVITE: a=sendonly from the caller reaches the callee, its a=recvonly answer reaches the caller', {
  callerScenario: 'uac-hold.xml',
  calleeScenario: 'uas-hold.xml',
  cdrStatus: 'answered',
});
