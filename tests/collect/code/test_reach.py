"""Only what the handler can run counts, and nothing it can run is lost (callbacks, dispatch
tables, decorators, classes, dynamic look-ups, CommonJS exports)."""

from iam_analyzer.collect.code import read_sources


def ops(files, handler):
    scan = read_sources([(p, p.rsplit(".", 1)[0].replace("/", "."), t) for p, t in files], handler)
    return {c.operation for c in scan.calls}


PY_LIB = ("lib.py", "import boto3\nddb = boto3.client('dynamodb')\n"
          "def save(i):\n    ddb.put_item(TableName='t', Item=i)\n"
          "def load(k):\n    return ddb.get_item(TableName='t', Key=k)\n"
          "class Repo:\n    def __init__(self):\n        ddb.describe_table(TableName='t')\n"
          "    def purge(self):\n        ddb.delete_item(TableName='t', Key={})\n"
          "    def scan_all(self):\n        return ddb.scan(TableName='t')\n")


def test_python_functions_nothing_refers_to_are_left_out():
    app = ("app.py", "import boto3\nfrom lib import save, Repo\ndef handler(e, c):\n    save(e)\n    Repo().purge()\n"
                     "def other(e, c):\n    boto3.client('sns').publish(TopicArn='arn:aws:sns:eu-west-1:1:t', Message='m')\n")
    got = ops([app, PY_LIB], ("app.py", "handler"))
    assert got == {"PutItem", "DescribeTable", "DeleteItem"}  # not load, not scan_all, not the other handler
    assert ops([app, PY_LIB], ("app.py", "other")) == {"Publish"}
    assert ops([app, PY_LIB], None) >= {"PutItem", "GetItem", "DeleteItem", "Scan", "Publish"}  # no handler: all


def test_python_callbacks_dispatch_tables_decorators_and_dynamic_lookups_are_kept():
    app = ("app.py", "from lib import save, load\nROUTES = {'load': load}\n"
                     "def handler(e, c):\n    return ROUTES[e['op']](e)\n")
    assert ops([app, PY_LIB], ("app.py", "handler")) == {"GetItem"}
    deco = ("app.py", "import boto3\nfrom x import app\n@app.get('/a')\ndef a():\n    boto3.client('s3').get_object(Bucket='b', Key='k')\n"
                      "def handler(e, c):\n    return app.resolve(e, c)\n")
    assert ops([deco], ("app.py", "handler")) == {"GetObject"}  # a registered route
    dyn = ("app.py", "import lib\ndef handler(e, c):\n    return getattr(lib, e['op'])(e)\n")
    assert ops([dyn, PY_LIB], ("app.py", "handler")) >= {"PutItem", "GetItem", "Scan"}  # computed name: everything


JS_LIB = ("lib.js", "const { DynamoDBClient, PutItemCommand, GetItemCommand, ScanCommand } = require('@aws-sdk/client-dynamodb');\n"
          "const c = new DynamoDBClient({});\n"
          "async function save(i) { await c.send(new PutItemCommand({ TableName: 't', Item: i })); }\n"
          "async function load(k) { return c.send(new GetItemCommand({ TableName: 't', Key: k })); }\n"
          "const scanAll = async () => c.send(new ScanCommand({ TableName: 't' }));\n"
          "module.exports = { save, load };\n")


def test_javascript_top_level_functions_nothing_refers_to_are_left_out():
    app = ("app.js", "const { save } = require('./lib');\nexports.handler = async (e) => save(e);\n")
    # load is exported (module.exports uses it), so it is kept; scanAll is used nowhere
    assert ops([app, JS_LIB], ("app.js", "handler")) == {"PutItem", "GetItem"}
    ts = ("app.ts", "import { S3Client, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';\n"
                    "const s3 = new S3Client({});\n"
                    "export async function handler(e: any) { return read(e.key); }\n"
                    "async function read(k: string) { return s3.send(new GetObjectCommand({ Bucket: 'b', Key: k })); }\n"
                    "export async function write(k: string) { await s3.send(new PutObjectCommand({ Bucket: 'b', Key: k })); }\n"
                    "export const other = async () => write('x');\n")
    assert ops([ts], ("app.ts", "handler")) == {"GetObject"}
    assert ops([ts], ("app.ts", "other")) == {"PutObject"}
    assert ops([ts], None) == {"GetObject", "PutObject"}
