'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const {createReceiver, sign, verify} = require('../webhook-receiver');

const SECRET = 'whsec_test_1';
const body = Buffer.from(JSON.stringify({specversion: '1.0', id: 'e1', type: 'vn.ketnoi.meetings.mou.signed.v1'}));
const now = () => Math.floor(Date.now() / 1000);

test('a delivery signed with the secret, now, is accepted', () => {
  const t = now();
  assert.equal(verify(`t=${t},v1=${sign(SECRET, t, body)}`, body, [SECRET]), null);
});

test('during a rotation any of several v1 entries may match, and so may any of our secrets', () => {
  const t = now();
  const header = `t=${t},v1=${sign('old-secret', t, body)},v1=${sign(SECRET, t, body)}`;
  assert.equal(verify(header, body, [SECRET]), null);
  assert.equal(verify(`t=${t},v1=${sign(SECRET, t, body)}`, body, ['whsec_new', SECRET]), null);
});

test('a changed body, another secret, a moved timestamp or a stale one is refused', () => {
  const t = now();
  const good = sign(SECRET, t, body);
  assert.equal(verify(`t=${t},v1=${good}`, Buffer.concat([body, Buffer.from(' ')]), [SECRET]), 'bad_signature');
  assert.equal(verify(`t=${t},v1=${good}`, body, ['another']), 'bad_signature');
  assert.equal(verify(`t=${t + 1},v1=${good}`, body, [SECRET]), 'bad_signature');
  const old = t - 301;
  assert.equal(verify(`t=${old},v1=${sign(SECRET, old, body)}`, body, [SECRET]), 'stale');
  const future = t + 301;
  assert.equal(verify(`t=${future},v1=${sign(SECRET, future, body)}`, body, [SECRET]), 'stale');
  const edge = t - 299;
  assert.equal(verify(`t=${edge},v1=${sign(SECRET, edge, body)}`, body, [SECRET]), null);
});

test('a missing or malformed header is refused', () => {
  const t = now();
  for (const header of [undefined, '', `t=${t}`, `v1=${sign(SECRET, t, body)}`, `t=${t},v1=zz`,
    `t=${t},v0=${sign(SECRET, t, body)}`, `t=abc,v1=${sign(SECRET, t, body)}`]) {
    assert.equal(verify(header, body, [SECRET]), 'no_signature', String(header));
  }
});

test('the server answers 204 to a locally signed request and 401 to the rest', async (t) => {
  const received = [];
  const server = createReceiver([SECRET], (delivery) => received.push(delivery.body));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${server.address().port}/ketnoi`;
  const post = (headers) => fetch(url, {method: 'POST', body, headers: {'Content-Type': 'application/json', ...headers}});
  const stamp = now();
  const ok = await post({'Ketnoi-Signature': `t=${stamp},v1=${sign(SECRET, stamp, body)}`});
  assert.equal(ok.status, 204);
  const forged = await post({'Ketnoi-Signature': `t=${stamp},v1=${sign('guess', stamp, body)}`});
  assert.equal(forged.status, 401);
  assert.deepEqual(await forged.json(), {error: 'bad_signature'});
  const unsigned = await post({});
  assert.equal(unsigned.status, 401);
  const stale = stamp - 600;
  const replayed = await post({'Ketnoi-Signature': `t=${stale},v1=${sign(SECRET, stale, body)}`});
  assert.deepEqual([replayed.status, (await replayed.json()).error], [401, 'stale']);
  assert.deepEqual(received, [JSON.parse(body)]);
});
