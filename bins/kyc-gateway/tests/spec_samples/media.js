var request = require("request");
var options = { method: 'GET',
url: 'https://api.veriff.me/v1/media/ebbf6434-3bf1-4020-8ac3-1ef51a25c673',
headers:
{ 'Content-Type': 'application/json',
'X-SIGNATURE': '452bfca0e02f8ee0f56d97373cc6971067e43149f1b7e58b681d4e57353a2f6b',
'X-AUTH-CLIENT': 'Your-api-key' } };
request(options, function (error, response, body) {
if (error) throw new Error(error);
console.log(body);
});
