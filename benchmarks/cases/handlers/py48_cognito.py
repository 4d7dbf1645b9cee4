# expect: cognito-idp:AdminAddUserToGroup
import os
import boto3

idp = boto3.client("cognito-idp")


def handler(event, context):
    idp.admin_add_user_to_group(UserPoolId=event["userPoolId"], Username=event["userName"], GroupName="customers")
    return event
