// The vendor's Node integration demo flow, written from the API documentation alone
// (/work/shared/specs/veriff-api.txt and veriff-api-notes.md), not from the gateway's code:
//
//   POST {API_URL}/sessions, POST {API_URL}/sessions/{id}/media for two images,
//   PATCH {API_URL}/sessions/{id} "submitted", GET {API_URL}/sessions/{id}/media,
//
// then it waits for the decision and event webhooks on its own listener and checks them as the
// documentation tells a webhook listener to: X-AUTH-CLIENT is the API key, X-SIGNATURE is the
// hex SHA-256 of the raw body followed by the API secret, X-HMAC-SIGNATURE the hex HMAC-SHA256 of
// the raw body keyed with the secret, both over the raw bytes before parsing; and, as the demo's
// receiver does, the HMAC of the re-serialised parsed body. Every API response's signature
// headers are checked the same way ("We sign all responses using same logic").
//
// Only Node's own modules. Protocol with the test: the script prints {"listening": port} as its
// first line, reads {"apiUrl": "http://127.0.0.1:…/v1"} from stdin, runs, and prints one JSON
// line {"ok": true, …} (exit 0) or {"ok": false, "error": …} (exit 1).
// Environment: API_TOKEN (API key), API_SECRET, SCHEME ("sha256": X-SIGNATURE, the spec's
// algorithm; "hmac": X-HMAC-SIGNATURE, the notes' current one).
'use strict';

const crypto = require('crypto');
const http = require('http');
const readline = require('readline');

const API_TOKEN = process.env.API_TOKEN;
const API_SECRET = process.env.API_SECRET;
const SCHEME = process.env.SCHEME || 'hmac';

// A 1x1 PNG and a minimal JPEG, raw base64 (the demo reads image files and base64-encodes them).
const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const JPEG_B64 =
  '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8QEBEQCgwSExIQEw8QEBD/yQALCAABAAEBAREA/8wABgAQEAX/2gAIAQEAAD8A0s8g/9k=';

function fail(msg) {
  console.log(JSON.stringify({ ok: false, error: msg }));
  process.exit(1);
}

setTimeout(() => fail('timeout: no decision webhook within 60 s'), 60000).unref();

// The spec's generateSignature: SHA-256 of payload then secret, hex.
function sha256Signature(payload, secret) {
  const h = crypto.createHash('sha256');
  h.update(Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8'));
  h.update(Buffer.from(secret, 'utf8'));
  return h.digest('hex');
}

// The notes' X-HMAC-SIGNATURE: HMAC-SHA256 keyed with the secret, hex.
function hmacSignature(payload, secret) {
  return crypto
    .createHmac('sha256', secret)
    .update(Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8'))
    .digest('hex');
}

function signatureHeaders(payload) {
  if (SCHEME === 'sha256') return { 'X-SIGNATURE': sha256Signature(payload, API_SECRET) };
  return { 'X-HMAC-SIGNATURE': hmacSignature(payload, API_SECRET) };
}

// Checks X-AUTH-CLIENT and both signature headers over the raw bytes.
function checkSigned(what, headers, raw) {
  if (headers['x-auth-client'] !== API_TOKEN) fail(`${what}: X-AUTH-CLIENT ${headers['x-auth-client']}`);
  const legacy = headers['x-signature'];
  if (!legacy || legacy.toLowerCase() !== sha256Signature(raw, API_SECRET)) fail(`${what}: X-SIGNATURE does not verify`);
  const hmac = headers['x-hmac-signature'];
  if (!hmac || hmac.toLowerCase() !== hmacSignature(raw, API_SECRET)) fail(`${what}: X-HMAC-SIGNATURE does not verify`);
}

function request(method, url, headers, body) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      { method, hostname: u.hostname, port: u.port, path: u.pathname + u.search, headers },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, raw: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// A signed JSON call: POST/PATCH sign the stringified body, GET the path id.
async function api(method, url, payloadObject, signedId) {
  const headers = { 'Content-Type': 'application/json', 'X-AUTH-CLIENT': API_TOKEN };
  let body;
  if (payloadObject !== undefined) {
    body = JSON.stringify(payloadObject);
    Object.assign(headers, signatureHeaders(body));
  } else {
    Object.assign(headers, signatureHeaders(signedId));
  }
  const r = await request(method, url, headers, body);
  checkSigned(`${method} ${new URL(url).pathname}`, r.headers, r.raw);
  let json;
  try {
    json = JSON.parse(r.raw.toString('utf8'));
  } catch (e) {
    fail(`${method} ${url}: not JSON: ${r.raw.toString('utf8')}`);
  }
  return { status: r.status, json };
}

function expectKeys(what, obj, keys) {
  if (obj === null || typeof obj !== 'object') fail(`${what}: not an object`);
  for (const k of keys) if (!(k in obj)) fail(`${what}: no ${k} in ${JSON.stringify(obj)}`);
}

// ---- the webhook listener ----
const received = { decision: [], events: [] };
let onHook = () => {};
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    // Verify before parsing, as the documentation says.
    checkSigned(`webhook ${req.url}`, req.headers, raw);
    const payload = JSON.parse(raw.toString('utf8'));
    // The demo's receiver re-serialises the parsed body and checks the HMAC of that.
    if (hmacSignature(JSON.stringify(payload), API_SECRET) !== req.headers['x-hmac-signature']) {
      fail(`webhook ${req.url}: re-serialised body does not verify`);
    }
    const kind = req.url.startsWith('/decision') ? 'decision' : 'events';
    received[kind].push(payload);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ status: 'success' }));
    onHook();
  });
});

async function run(API_URL) {
  const timestamp = () => new Date().toISOString();
  // 1. Create the session.
  const created = await api('POST', `${API_URL}/sessions`, {
    verification: {
      callback: 'https://example.com/kyc/done',
      person: { firstName: 'John', lastName: 'Smith' },
      vendorData: 'demo-user-1',
      timestamp: timestamp(),
    },
  });
  if (created.status !== 201) fail(`POST /sessions: ${created.status} ${JSON.stringify(created.json)}`);
  expectKeys('session', created.json.verification, ['id', 'url', 'sessionToken', 'baseUrl']);
  const sessionId = created.json.verification.id;
  if (created.json.verification.url !== `${created.json.verification.baseUrl}/v/${created.json.verification.sessionToken}`) {
    fail('url is not baseUrl + /v/ + sessionToken');
  }

  // 2. Upload two images.
  for (const [context, content] of [['document-front', PNG_B64], ['face', JPEG_B64]]) {
    const r = await api('POST', `${API_URL}/sessions/${sessionId}/media`, {
      image: { context, content, timestamp: timestamp() },
    });
    if (r.status !== 200 && r.status !== 201) fail(`POST media ${context}: ${r.status} ${JSON.stringify(r.json)}`);
    expectKeys(`image ${context}`, r.json.image, ['id', 'name', 'timestamp', 'size', 'mimetype', 'url']);
    if (typeof r.json.image.size !== 'number') fail('upload size is not the documented integer');
  }

  // 3. Submit.
  const patched = await api('PATCH', `${API_URL}/sessions/${sessionId}`, {
    verification: { status: 'submitted', frontState: 'done', timestamp: timestamp() },
  });
  if (patched.status !== 200) fail(`PATCH: ${patched.status} ${JSON.stringify(patched.json)}`);
  if (patched.json.verification.status !== 'submitted') fail(`PATCH status ${patched.json.verification.status}`);

  // 4. List the media (signature over the session id).
  const media = await api('GET', `${API_URL}/sessions/${sessionId}/media`, undefined, sessionId);
  if (media.status !== 200) fail(`GET media: ${media.status}`);
  expectKeys('media', media.json, ['status', 'videos', 'images']);
  if (media.json.images.length !== 2) fail(`${media.json.images.length} images listed`);
  for (const img of media.json.images) {
    expectKeys('listed image', img, ['id', 'name', 'url', 'size', 'timestamp', 'mimetype']);
    expectKeys('listed image timestamp', img.timestamp, ['id', 'url']);
    if (typeof img.size !== 'string' || !/^[0-9]+$/.test(img.size)) fail(`size ${JSON.stringify(img.size)} is not a string of KB`);
  }
  const contexts = media.json.images.map((i) => i.name).sort();

  // 5. The decision webhook (and the events 7001 started, 7002 submitted).
  await new Promise((resolve) => {
    onHook = () => {
      if (received.decision.length >= 1 && received.events.length >= 2) resolve();
    };
    onHook();
  });
  const d = received.decision[0];
  expectKeys('decision', d, ['status', 'verification', 'technicalData']);
  expectKeys('decision verification', d.verification, ['id', 'code', 'status', 'reason', 'reasonCode', 'vendorData', 'decisionTime', 'acceptanceTime', 'person', 'document']);
  if (d.verification.id !== sessionId) fail('decision of another session');
  const events = received.events.map((e) => ({ id: e.id, code: e.code, action: e.action, feature: e.feature }));
  console.log(
    JSON.stringify({
      ok: true,
      sessionId,
      imageNames: contexts,
      decision: {
        code: d.verification.code,
        status: d.verification.status,
        reasonCode: d.verification.reasonCode,
        reason: d.verification.reason,
        vendorData: d.verification.vendorData,
      },
      events,
      signaturesVerified: ['X-SIGNATURE', 'X-HMAC-SIGNATURE', 're-serialised HMAC'],
    }),
  );
  process.exit(0);
}

server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ listening: server.address().port }));
  const rl = readline.createInterface({ input: process.stdin });
  rl.once('line', (line) => {
    const { apiUrl } = JSON.parse(line);
    run(apiUrl).catch((e) => fail(String(e && e.stack ? e.stack : e)));
  });
});
