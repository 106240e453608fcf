var request = require("request");
var options = { method: 'GET',
url: 'https://api.veriff.me/v1/sessions/aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7/person',
headers:
{ 'Content-Type': 'application/json',
'X-SIGNATURE': '334141f052e317fde6668de54dc6640b4a5c47582ad86a8bed63afe566f17b14',
'X-AUTH-CLIENT': 'Your-api-key' } };
request(options, function (error, response, body) {
if (error) throw new Error(error);
console.log(body);
});
