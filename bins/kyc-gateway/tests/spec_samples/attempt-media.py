import requests
import json
import pprint
API_SECRET = 'Your-api-secret'
ATTEMPT_ID= 'attemptId'
url = 'https://api.veriff.me/v1/attempts/{attemptId}/media'
headers = {
'X-AUTH-CLIENT': 'Your-api-key',
'X-SIGNATURE': generateSignature(ATTEMPT_ID, API_SECRET),
'Content-Type': 'application/json'
}
response = requests.request('GET', url, headers=headers)
pprint.pprint(response.json())
