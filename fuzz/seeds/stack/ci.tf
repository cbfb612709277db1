# The stack the Terraform-spelled CI job plans and applies.

provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

resource "aws_vpc" "main" {
  cidr_block = "10.77.0.0/16"

  tags = {
    Name = "${var.name}-vpc"
  }
}

output "vpc_name" {
  value = aws_vpc.main.tags["Name"]
}
