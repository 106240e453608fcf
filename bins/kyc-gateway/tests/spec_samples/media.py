import requests
API_SECRET = 'Your-api-secret'
MEDIA_ID= 'mediaId'
url = 'https://api.veriff.me/v1/media/{mediaId}'
headers = {
'X-AUTH-CLIENT': 'Your-api-key',
'X-SIGNATURE': generateSignature(MEDIA_ID, API_SECRET),
'Content-Type': 'application/json'
}
response = requests.request('GET', url, headers=headers)
print(response.text)
