var request = require("request");
var options = { method: 'GET',
url: 'https://api.veriff.me/v1/attempts/f5c68aea-7f4d-478d-80ab-ca9356074f69/media',
headers:
{ 'Content-Type': 'application/json',
'X-SIGNATURE': 'acfe1cf21c986edf25cc6bc74fd769954443bbb606500019a4bed46645179b36',
'X-AUTH-CLIENT': 'Your-api-key' } };
request(options, function (error, response, body) {
if (error) throw new Error(error);
console.log(body);
});
