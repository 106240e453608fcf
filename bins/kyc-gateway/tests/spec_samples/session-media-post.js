var request = require("request");
var options = { method: 'POST',
url: 'https://api.veriff.me/v1/sessions/aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7/media',
headers:
{ 'Content-Type': 'application/json',
'X-SIGNATURE': '034c6da2bb31fd9e6892516c6d7b90ebe10f79b47cfb3d155d77b4d9b66e1d53',
'X-AUTH-CLIENT': 'Your-api-key' },
body:
{ image:
{ context: 'document-front',
content: '.../9fgAEAKcxisFjVfn0AAAAASUVORK5CYII=',
timestamp: '2019-10-29T06:30:25.597Z' } },
json: true };
request(options, function (error, response, body) {
if (error) throw new Error(error);
console.log(body);
});
