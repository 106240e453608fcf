var request = require("request");
var options = { method: 'POST',
url: 'https://api.veriff.me/v1/sessions/',
headers:
{ 'Content-Type': 'application/json',
'X-AUTH-CLIENT': 'Your-api-key' },
body:
{ verification:
{ callback: 'https://veriff.me',
person:
{ firstName: 'Tundmatu',
lastName: 'Toomas',
idNumber: '123456789' },
document: { number: 'B01234567', type: 'PASSPORT', country: 'EE' },
additionalData: { citizenship: 'EE', placeOfResidence: 'Tallinn' },
vendorData: '11111111',
lang: 'en',
timestamp: '2016-05-19T08:30:25.597Z' } },
json: true };
request(options, function (error, response, body) {
if (error) throw new Error(error);
console.log(body);
});
