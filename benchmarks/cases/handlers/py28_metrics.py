# expect: cloudwatch:PutMetricData
import boto3

cw = boto3.client("cloudwatch")


def handler(event, context):
    cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "Orders", "Value": 1}])
