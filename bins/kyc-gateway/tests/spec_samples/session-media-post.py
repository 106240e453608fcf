import requests
import json
import pprint
url='https://api.veriff.me/v1/sessions/{sessionId}/media'
payload = json.dumps({
'image': {
'context': 'document-front',
'content': '.../9fgAEAKcxisFjVfn0AAAAASUVORK5CYII=',
'timestamp': '2019-10-29T06:30:25.597Z'
}
})
headers = {
'X-AUTH-CLIENT': 'Your-api-key',
'X-SIGNATURE': generateSignature(payload, API_SECRET),
'Content-Type': 'application/json'
}
response = requests.request('GET', url, data=payload, headers=headers)
pprint.pprint(response.json())
