module "resizer" {
  source  = "./modules/fn"
  name    = "resizer"
  actions = ["s3:GetObject", "s3:PutObject"]
  arns    = ["arn:aws:s3:::photos/*"]
}

module "indexer" {
  source  = "./modules/fn"
  name    = "indexer"
  actions = ["es:ESHttpPost"]
  arns    = ["arn:aws:es:us-east-1:123456789012:domain/photos/*"]
}

resource "aws_iam_role_policy_attachment" "indexer_xray" {
  role       = module.indexer.role_name
  policy_arn = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"
}

output "functions" {
  value = [module.resizer.function_arn, module.indexer.function_arn]
}
