import requests
import json
import pprint
API_SECRET = 'Your-api-secret'
url = 'https://api.veriff.me/v1/sessions/{sessionId}'
payload = json.dumps({
'verification': {
'status': 'submitted',
'frontState': 'done',
'timestamp': '2019-10-29T06:30:25.597Z'
}
})
headers = {
'X-AUTH-CLIENT': 'Your-api-key',
'X-SIGNATURE': generateSignature(payload, API_SECRET),
'Content-Type': 'application/json'
}
response = requests.request('PATCH', url, data=payload, headers=headers)
pprint.pprint(response.json())
