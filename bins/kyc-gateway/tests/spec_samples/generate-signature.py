import hashlib
def generateSignature(payload, secret):
sha_signature = \
hashlib.sha256(f'{payload}{secret}'.encode()).hexdigest()
return sha_signature
