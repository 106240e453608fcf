import requests
import json
import pprint
API_SECRET = 'Your-api-secret'
SESSION_ID= 'Your-session-id'
url = 'https://api.veriff.me/v1/sessions/{sessionId}/timestamps'
headers = {
'X-AUTH-CLIENT': 'Your-api-key',
'X-SIGNATURE': generateSignature(SESSION_ID, API_SECRET),
'Content-Type': 'application/json'
}
response = requests.request('GET', url, headers=headers)
pprint.pprint(response.json())
