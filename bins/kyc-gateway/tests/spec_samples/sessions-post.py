import requests
import pprint
import json
API_SECRET = 'Your-api-secret'
url = 'https://api.veriff.me/v1/sessions/'
payload = json.dumps({
'verification': {
'callback': 'https://veriff.me',
'person': {
'firstName': 'Tundmatu',
'lastName': 'Toomas',
'idNumber': '123456789'
},
'document': {
'number': 'B01234567',
'type': 'PASSPORT',
'country': 'EE'
},
'additionalData': {
'citizenship': 'EE',
'placeOfResidence': 'Tallinn'
},
'vendorData': '11111111',
'lang': 'en',
'features': [
'selfid'
],
'timestamp': '2016-05-19T08:30:25.597Z'
}
})
headers = {
'X-AUTH-CLIENT': 'Your-api-key',
'X-SIGNATURE': generateSignature(payload, API_SECRET),
'Content-Type': 'application/json'
}
response = requests.request('POST', url, data=payload, headers=headers)
pprint.pprint(response.json())
