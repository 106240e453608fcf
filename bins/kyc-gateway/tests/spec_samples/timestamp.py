import requests
import json
import pprint
API_SECRET = 'Your-api-secret'
TIMESTAMP_ID='timestampId'
url = 'https://api.veriff.me/v1/timestamps/{timestampId}'
headers = {
'X-AUTH-CLIENT': 'Your-api-key',
'X-SIGNATURE': generateSignature(TIMESTAMP_ID, API_SECRET),
'Content-Type': 'application/json'
}
response = requests.request('GET', url, headers=headers)
pprint.pprint(response.json())
