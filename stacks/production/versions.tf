# The production architecture for containerised PHP applications on
# Kubernetes: a VPC over three availability zones, security groups, an
# on-demand and a spot Auto Scaling group, an EKS cluster with on-demand and
# spot node groups (control-plane logs in CloudWatch, secrets encrypted
# with KMS), an internet-facing ALB protected by a WAF web ACL (HTTPS with
# an ACM certificate, HTTP redirected, /api/* to its own service), Route53
# records, an S3 gateway endpoint, and S3 buckets for application storage
# and state, with the state's DynamoDB lock table.

terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = var.name
      Environment = "production"
      ManagedBy   = "terrane"
    }
  }
}
