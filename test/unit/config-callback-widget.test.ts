import t from 'tap';
import { configErrors, configOf } from '../helpers/config-text.js';

const BASE = 'extensions:\n  "1001": { password: a }\ngroups:\n  sales: { members: ["1001"] }\nqueues:\n  support: { members: ["1001"] }\n';

t.test('http.callback: off unless configured; limits have defaults', async (t) => {
  t.equal(configOf(`http: { token: t }\n${BASE}`).http.callback, null);
  t.same(configOf(`http:\n  token: t\n  callback: { target: "group:sales", allowed_origins: ["https://shop.example"] }\n${BASE}`).http.callback, {
    target: 'group:sales',
    allowed_origins: ['https://shop.example'],
    per_number: 3,
    number_window: 600,
    per_ip: 10,
    ip_window: 60,
    min_digits: 5,
    max_digits: 15,
    ring_time: 30,
  });
  t.equal(configOf(`http:\n  token: t\n  callback: { target: "queue:support", allowed_origins: ["http://localhost:8080"] }\n${BASE}`).http.callback?.target, 'queue:support');
});

t.test('a bad callback target, origin or limit is an error at FILE:LINE:COL', async (t) => {
  t.same(configErrors(`http:\n  token: t\n  callback: { target: "group:sale", allowed_origins: ["https://shop.example"] }\n${BASE}`), [
    'pbx.yaml:3:23: http.callback.target: no group named "sale"; did you mean "sales"?',
  ]);
  t.same(configErrors(`http:\n  token: t\n  callback: { target: "1001", allowed_origins: ["https://shop.example"] }\n${BASE}`), [
    'pbx.yaml:3:23: http.callback.target: the callback target is group:NAME or queue:NAME, not "1001"',
  ]);
  t.same(configErrors(`http:\n  token: t\n  callback: { target: "group:sales", allowed_origins: ["https://shop.example/page"] }\n${BASE}`), [
    'pbx.yaml:3:56: http.callback.allowed_origins[0]: an origin is http:// or https:// and a host with an optional :port, no path, not "https://shop.example/page"',
  ]);
  t.same(configErrors(`http:\n  token: t\n  callback: { target: "group:sales", allowed_origins: [] }\n${BASE}`).length, 1, 'no origin at all');
  t.same(configErrors(`http:\n  token: t\n  callback: { target: "group:sales", allowed_origins: ["https://a.example"], min_digits: 9, max_digits: 5 }\n${BASE}`), [
    'pbx.yaml:3:90: http.callback.min_digits: min_digits must not be more than max_digits',
  ]);
});
