variable "stage" {
  type    = string
  default = "dev"
}

variable "table_name" {
  type = string
}

variable "workers" {
  type = map(object({ queue = string, timeout = number }))
  default = {
    thumbnail = { queue = "thumbnails", timeout = 30 }
    invoice   = { queue = "invoices", timeout = 60 }
  }
}

variable "enable_reports" {
  type    = bool
  default = true
}
