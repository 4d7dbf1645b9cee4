# expect: athena:StartQueryExecution
# expect: athena:GetQueryExecution
import boto3

athena = boto3.client("athena")


def handler(event, context):
    qid = athena.start_query_execution(QueryString="SELECT 1", WorkGroup="primary")["QueryExecutionId"]
    return athena.get_query_execution(QueryExecutionId=qid)
