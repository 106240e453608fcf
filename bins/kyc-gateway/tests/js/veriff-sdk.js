// Runs the real @veriff/js-sdk under jsdom against a gateway: GATEWAY (its host option), API_KEY.
// The page origin differs from the gateway's, so the browser rules (CORS preflight) apply.
// Prints the onSession response as one JSON line.
const { JSDOM } = require('jsdom');

const dom = new JSDOM('<!doctype html><html><body><div id="veriff-root"></div></body></html>', {
  url: 'http://merchant.test/',
});
global.window = dom.window;
global.document = dom.window.document;
global.XMLHttpRequest = dom.window.XMLHttpRequest;

const { Veriff } = require('@veriff/js-sdk');

const veriff = Veriff({
  host: process.env.GATEWAY,
  apiKey: process.env.API_KEY,
  parentId: 'veriff-root',
  onSession: (err, response) => {
    if (err) {
      console.log(JSON.stringify({ error: err }));
      process.exit(2);
    }
    console.log(JSON.stringify(response));
    process.exit(0);
  },
});
veriff.setParams({ person: { givenName: 'Erika', lastName: 'Musterfrau' }, vendorData: 'js-sdk-user' });
veriff.mount();
const form = document.querySelector('form');
// jsdom does not implement the named-control properties of HTMLFormElement (form.submitBtn),
// which browsers have and the SDK uses: provide them.
for (const el of form.querySelectorAll('[name]')) {
  if (!(el.name in form)) Object.defineProperty(form, el.name, { value: el });
}
form.dispatchEvent(new dom.window.Event('submit', { cancelable: true }));
setTimeout(() => {
  console.log(JSON.stringify({ error: 'timeout' }));
  process.exit(3);
}, 15000);
