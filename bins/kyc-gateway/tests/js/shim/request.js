// A minimal stand-in for the deprecated npm `request` package that the API documentation's Node
// samples use (`request(options, callback)`), so that those samples run unchanged where the
// package is not installed (tests/third_party.rs puts KYC_TEST_NODE_MODULES first in NODE_PATH:
// a real `request` found there wins). It does what the samples rely on: `method`, `url`,
// `headers`, `body`, and `json: true` (the body sent as JSON.stringify(body), JSON accepted and
// parsed back when possible). Plain http only: the tests talk to 127.0.0.1.
'use strict';

const http = require('http');

module.exports = function request(options, callback) {
  const u = new URL(options.url);
  const headers = Object.assign({}, options.headers || {});
  let body = options.body;
  if (options.json) {
    const has = (name) => Object.keys(headers).some((k) => k.toLowerCase() === name);
    if (!has('accept')) headers.accept = 'application/json';
    if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) {
      body = JSON.stringify(body);
      if (!has('content-type')) headers['content-type'] = 'application/json';
    }
  }
  const req = http.request(
    { method: options.method || 'GET', hostname: u.hostname, port: u.port, path: u.pathname + u.search, headers },
    (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        let out = Buffer.concat(chunks).toString('utf8');
        if (options.json) {
          try {
            out = JSON.parse(out);
          } catch (e) {
            // not JSON: the text, as request does
          }
        }
        res.body = out;
        callback(null, res, out);
      });
    },
  );
  req.on('error', (e) => callback(e));
  if (body !== undefined) req.write(body);
  req.end();
};
