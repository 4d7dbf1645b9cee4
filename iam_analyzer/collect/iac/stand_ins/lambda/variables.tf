variable "create" {
  type    = bool
  default = true
}

variable "create_function" {
  type    = bool
  default = true
}

variable "create_role" {
  type    = bool
  default = true
}

variable "create_lambda_function_url" {
  type    = bool
  default = false
}

variable "authorization_type" {
  type    = string
  default = "NONE"
}

variable "function_name" {
  type    = string
  default = ""
}

variable "description" {
  type    = string
  default = ""
}

variable "handler" {
  type    = string
  default = ""
}

variable "runtime" {
  type    = string
  default = ""
}

variable "memory_size" {
  type    = number
  default = 128
}

variable "timeout" {
  type    = number
  default = 3
}

variable "package_type" {
  type    = string
  default = "Zip"
}

variable "image_uri" {
  type    = string
  default = null
}

variable "layers" {
  type    = list(string)
  default = null
}

variable "kms_key_arn" {
  type    = string
  default = null
}

variable "lambda_role" {
  type    = string
  default = ""
}

variable "role_name" {
  type    = string
  default = null
}

variable "role_path" {
  type    = string
  default = null
}

variable "role_permissions_boundary" {
  type    = string
  default = null
}

variable "environment_variables" {
  type    = map(string)
  default = {}
}

variable "dead_letter_target_arn" {
  type    = string
  default = null
}

variable "tracing_mode" {
  type    = string
  default = null
}

variable "vpc_subnet_ids" {
  type    = list(string)
  default = null
}

variable "vpc_security_group_ids" {
  type    = list(string)
  default = null
}

variable "attach_cloudwatch_logs_policy" {
  type    = bool
  default = true
}

variable "use_existing_cloudwatch_log_group" {
  type    = bool
  default = false
}

variable "attach_dead_letter_policy" {
  type    = bool
  default = false
}

variable "attach_async_event_policy" {
  type    = bool
  default = false
}

variable "destination_on_failure" {
  type    = string
  default = null
}

variable "destination_on_success" {
  type    = string
  default = null
}

variable "attach_tracing_policy" {
  type    = bool
  default = false
}

variable "attach_network_policy" {
  type    = bool
  default = false
}

variable "attach_policy_json" {
  type    = bool
  default = false
}

variable "policy_json" {
  type    = string
  default = null
}

variable "attach_policy_jsons" {
  type    = bool
  default = false
}

variable "policy_jsons" {
  type    = list(string)
  default = []
}

variable "number_of_policy_jsons" {
  type    = number
  default = 0
}

variable "attach_policy" {
  type    = bool
  default = false
}

variable "policy" {
  type    = string
  default = null
}

variable "attach_policies" {
  type    = bool
  default = false
}

variable "policies" {
  type    = list(string)
  default = []
}

variable "number_of_policies" {
  type    = number
  default = 0
}

variable "attach_policy_statements" {
  type    = bool
  default = false
}

variable "policy_statements" {
  type    = any
  default = {}
}

variable "event_source_mapping" {
  type    = any
  default = {}
}

variable "allowed_triggers" {
  type    = map(any)
  default = {}
}

