// The PBX behind NAT (`pbx start`): with sip.external_address, rtp.external_address and
// local_networks [127.0.0.1/32], a phone outside the local networks (on 127.0.0.2, a home worker)
// sees the external address 127.0.0.9 in Via, Contact and SDP, while a phone inside (127.0.0.1)
// sees the local one. A second listener on 127.0.0.9 stands in for the router's port forward.
// A leg that gets no RTP is logged with its SDP, local and latched addresses and counted.
import { writeFileSync } from 'node:fs';
import t from 'tap';
import { topVia } from '../../src/sip/grammar.js';
import { answeredCall, hangUp } from '../net/helpers/flows.js';
import { Phone, sdpFor } from '../net/helpers/phone.js';
import { configText, EXTENSIONS, PbxProcess, preparePbx, teardown, TOKEN } from './harness.js';

const EXTERNAL = '127.0.0.9';

const setup = await preparePbx({ listen: ['udp:127.0.0.1:PORT', `udp:${EXTERNAL}:PORT`] });
writeFileSync(
  setup.file,
  configText(setup, { listen: ['udp:127.0.0.1:PORT', `udp:${EXTERNAL}:PORT`] })
    .replace('  domain: pbx.test\n', `  domain: pbx.test\n  external_address: ${EXTERNAL}\n  local_networks: ["127.0.0.1/32"]\n`)
    .replace(/( {2}ports: .*\n)/, `$1  external_address: ${EXTERNAL}\n`),
);
const pbx = await PbxProcess.start(setup, 30000);
t.teardown(() => teardown(pbx, setup));
const server = { address: '127.0.0.1', port: setup.sipPort };

t.test('a phone outside the local networks sees the external address in Via, Contact and SDP; a local one the local address', async (t) => {
  const home = await Phone.open('1001', EXTENSIONS['1001']!.password, server, '127.0.0.2');
  const office = await Phone.open('1002', EXTENSIONS['1002']!.password, server);
  t.teardown(() => {
    home.close();
    office.close();
  });
  await home.register();
  await office.register();
  const call = await answeredCall(office, home, true, { answer: sdpFor(home.rtpPort, undefined, undefined, '127.0.0.2') });

  const toHome = call.calleeInvite;
  t.equal(topVia(toHome.headers)?.host, EXTERNAL, 'Via of the INVITE to the home phone');
  t.match(toHome.headers.get('contact'), `@${EXTERNAL}:${setup.sipPort}`, 'Contact of the INVITE to the home phone');
  t.match(toHome.body.toString(), `c=IN IP4 ${EXTERNAL}\r\n`, 'SDP connection address for the home phone');
  t.match(toHome.body.toString(), new RegExp(`^o=.* IN IP4 ${EXTERNAL.replace(/\./g, '\\.')}\r$`, 'm'), 'SDP origin address for the home phone');

  t.match(call.ok.headers.get('contact'), `@127.0.0.1:${setup.sipPort}`, 'Contact of the 200 to the office phone');
  t.match(call.ok.body.toString(), 'c=IN IP4 127.0.0.1\r\n', 'SDP for the office phone');
  t.notMatch(call.ok.body.toString(), EXTERNAL);

  // Neither phone sends RTP: the one-way-audio warning names both ends of the silent leg.
  const homeSdp = `127.0.0.2:${home.rtpPort}`;
  const warning = await pbx.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('no RTP received from the phone') && l.sdp === homeSdp, 15000);
  t.match(warning, { sdp: homeSdp, local: /^127\.0\.0\.1:\d+$/, latched: null, received: 0 }, 'SDP address, local address, nothing latched');
  t.match(warning.msg, `its SDP says ${homeSdp}, the PBX listens on ${String(warning.local)}, latched nothing`);
  const metrics = await fetch(`http://127.0.0.1:${setup.httpPort}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  t.match(await metrics.text(), /^tspbx_no_rtp_warnings_total\{kind="never"\} [1-9]/m, 'counted in /metrics');

  await hangUp(office, call.callerDialog, home);
});
