from iam_analyzer.collect.invokers import invokers_from_policy


def test_resource_policy_statements_become_invokers():
    doc = {"Version": "2012-10-17", "Statement": [
        {"Sid": "s3", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "lambda:InvokeFunction",
         "Resource": "arn:aws:lambda:us-east-1:1:function:f",
         "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::b"}, "StringEquals": {"AWS:SourceAccount": "111122223333"}}},
        {"Sid": "url", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunctionUrl",
         "Resource": "arn:aws:lambda:us-east-1:1:function:f", "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}},
        {"Sid": "acct", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"}, "Action": "lambda:InvokeFunction",
         "Resource": "arn:aws:lambda:us-east-1:1:function:f"},
        {"Sid": "org", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}},
    ]}
    inv, errors = invokers_from_policy(doc, qualifier="live")
    assert errors == []
    by_sid = {i.sid: i for i in inv}
    assert by_sid["s3"].principal_type == "service" and by_sid["s3"].source_arn == "arn:aws:s3:::b"
    assert by_sid["s3"].source_account == "111122223333"
    assert by_sid["url"].principal_type == "everyone" and by_sid["url"].function_url_auth_type == "NONE"
    assert by_sid["acct"].principal_type == "account"
    assert by_sid["org"].principal_org_id == "o-abc"
    assert all(i.qualifier == "live" for i in inv)


def test_emulator_shapes_are_read_rather_than_dropped():
    doc = {"Version": "2012-10-17", "Statement": [
        {"Sid": "u", "Effect": "Allow", "Principal": "*", "FunctionUrlAuthType": "NONE", "Action": "lambda:InvokeFunctionUrl", "Resource": "x"},
        {"Sid": "a", "Effect": "Allow", "Principal": "210987654321", "Action": "lambda:InvokeFunction", "Resource": "x"},
    ]}
    inv, errors = invokers_from_policy(doc)
    assert errors == []
    assert {(i.sid, i.principal_type, i.function_url_auth_type) for i in inv} == {("u", "everyone", "NONE"), ("a", "account", None)}
