import t from 'tap';
import { dirname } from 'node:path';
import { SHIPPED_MUSIC_ON_HOLD } from '../../src/media/prompts.js';
import { configErrors, configOf } from '../helpers/config-text.js';

const BASE = 'http: { token: t }\nextensions:\n  "1001": { password: a }\n';

t.test('queue keys have defaults: announcements every 60 s, 15 s per agent, 10 s wrap-up, no callback, 60 s service level', async (t) => {
  const q = configOf(`${BASE}queues:\n  support: { members: ["1001"] }\n`, '/etc/pbx/pbx.yaml').queues.get('support');
  t.match(q, { strategy: 'ringall', max_wait: 300, announce_position: 60, member_timeout: 15, wrapup: 10, callback: false, service_level: 60, music_on_hold: null });
});

t.test('queue keys set in the config; music_on_hold is a WAV or directory resolved against data_dir', async (t) => {
  const q = configOf(
    `${BASE}data_dir: ${dirname(SHIPPED_MUSIC_ON_HOLD)}\nqueues:\n  support: { members: ["1001"], strategy: rrmemory, announce_position: 0, member_timeout: 20, wrapup: 0, callback: true, service_level: 30, music_on_hold: music-on-hold.wav }\n`,
  ).queues.get('support');
  t.match(q, { strategy: 'rrmemory', announce_position: 0, member_timeout: 20, wrapup: 0, callback: true, service_level: 30, music_on_hold: SHIPPED_MUSIC_ON_HOLD });
});

t.test('a bad queue value is an error at FILE:LINE:COL', async (t) => {
  t.same(configErrors(`${BASE}queues:\n  support: { members: ["1001"], member_timeout: 0 }\n`), ['pbx.yaml:5:49: queues.support.member_timeout: must be at least 1 (got 0)']);
  t.same(configErrors(`${BASE}queues:\n  support: { members: ["1001"], callback: "yes" }\n`), ['pbx.yaml:5:43: queues.support.callback: expected true or false, got "yes"']);
  t.same(configErrors(`${BASE}queues:\n  support: { members: ["1001"], strategy: roundrobin }\n`), [
    'pbx.yaml:5:43: queues.support.strategy: must be one of ringall, leastrecent, fewestcalls, random, rrmemory, linear (got "roundrobin")',
  ]);
  t.same(configErrors(`${BASE}data_dir: /nonexistent-tspbx\nqueues:\n  support: { members: ["1001"], music_on_hold: nothing-here.wav }\n`), [
    'pbx.yaml:6:48: queues.support.music_on_hold: music on hold /nonexistent-tspbx/nothing-here.wav is neither a WAV file nor a directory',
  ]);
});
