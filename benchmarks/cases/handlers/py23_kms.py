# expect: kms:Encrypt
# expect: kms:Decrypt
import os
import boto3

kms = boto3.client("kms")


def handler(event, context):
    blob = kms.encrypt(KeyId=os.environ["KEY_ARN"], Plaintext=b"x")["CiphertextBlob"]
    return kms.decrypt(CiphertextBlob=blob)["Plaintext"]
