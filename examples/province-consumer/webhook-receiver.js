#!/usr/bin/env node
'use strict';
// A province's receiver of ketnoi's signed webhooks, for a Department that runs a web server rather than
// an AMQP client. It trusts a delivery only when its `Ketnoi-Signature` header
//
//   Ketnoi-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the endpoint's secret>
//
// verifies: one of the `v1` entries (while a secret is being rotated ketnoi signs with both, so there may be
// several) matches, compared in constant time, and `t` is within five minutes of now, so a captured delivery
// cannot be replayed later. The HMAC covers the raw bytes received: verify before parsing the JSON.
//
//   KETNOI_WEBHOOK_SECRET=<secret> [PORT=8080] node webhook-receiver.js
//
// The secrets may be several, comma-separated (your old and new secret during a rotation on your side).

const crypto = require('node:crypto');
const http = require('node:http');

const TOLERANCE_SECONDS = 5 * 60;
const MAX_BODY = 1024 * 1024;

/** The `t` and every `v1` of a `Ketnoi-Signature` header; null when it is not of that form. */
function parseSignature(header) {
  if (typeof header !== 'string') return null;
  let t = null;
  const v1 = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (key === 't' && /^\d+$/.test(value)) t = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) v1.push(value.toLowerCase());
  }
  return t === null || v1.length === 0 ? null : {t, v1};
}

function sign(secret, t, rawBody) {
  return crypto.createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest('hex');
}

/** Why a delivery is refused (`no_signature`, `stale`, `bad_signature`), or null when it is ketnoi's. */
function verify(header, rawBody, secrets, now = Date.now() / 1000) {
  const signature = parseSignature(header);
  if (signature === null) return 'no_signature';
  if (Math.abs(now - signature.t) > TOLERANCE_SECONDS) return 'stale';
  for (const secret of secrets) {
    const expected = Buffer.from(sign(secret, signature.t, rawBody), 'hex');
    for (const candidate of signature.v1) {
      if (crypto.timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) return null;
    }
  }
  return 'bad_signature';
}

/** The HTTP server: 204 for a verified delivery (handed to `onEvent`), 401 otherwise, 413 for a huge body. */
function createReceiver(secrets, onEvent) {
  return http.createServer((request, response) => {
    const chunks = [];
    let size = 0;
    request.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) { response.writeHead(413).end(); request.destroy(); } else chunks.push(chunk);
    });
    request.on('end', () => {
      if (request.method !== 'POST') return response.writeHead(405, {Allow: 'POST'}).end();
      const raw = Buffer.concat(chunks);
      const refused = verify(request.headers['ketnoi-signature'], raw, secrets);
      if (refused) {
        response.writeHead(401, {'Content-Type': 'application/json'}).end(JSON.stringify({error: refused}));
        return;
      }
      try {
        onEvent({headers: request.headers, body: raw.length ? JSON.parse(raw.toString('utf8')) : null});
      } catch (error) {
        response.writeHead(400, {'Content-Type': 'application/json'}).end(JSON.stringify({error: 'not_json'}));
        return;
      }
      response.writeHead(204).end(); // answer fast: ketnoi retries a delivery that times out
    });
  });
}

module.exports = {parseSignature, sign, verify, createReceiver, TOLERANCE_SECONDS};

if (require.main === module) {
  const secrets = (process.env.KETNOI_WEBHOOK_SECRET || '').split(',').filter(Boolean);
  if (!secrets.length) {
    console.error('error: set KETNOI_WEBHOOK_SECRET');
    process.exit(1);
  }
  const port = Number(process.env.PORT || 8080);
  createReceiver(secrets, ({headers, body}) => {
    // binary mode: the CloudEvents attributes are ce-* headers; structured mode: they are in the body
    const type = headers['ce-type'] || body?.type;
    const id = headers['ce-id'] || body?.id;
    console.log(JSON.stringify({id, type}));
  }).listen(port, () => console.error(`listening on :${port}`));
}
