#!/usr/bin/env python3
"""Writes a synthetic stack of about N resources, valid for terrane and for
Terraform with the hashicorp/aws provider: N/8 units of one VPC, four
subnets, a security group, a route table and an internet gateway, the
subnets referring to their VPC through `aws_vpc.v[floor(count.index / 4)]`.

Usage: bench/synthetic_stack.py N DIR
"""
import os
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    resources, directory = int(sys.argv[1]), sys.argv[2]
    units = max(1, resources // 8)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "main.tf"), "w") as out:
        out.write(f'''provider "aws" {{
  region = "us-east-1"
}}

locals {{
  units = {units}
}}

resource "aws_vpc" "v" {{
  count      = local.units
  cidr_block = "10.${{count.index % 250}}.0.0/16"
  tags = {{
    Name = "synthetic-${{count.index}}"
  }}
}}

resource "aws_subnet" "s" {{
  count      = local.units * 4
  vpc_id     = aws_vpc.v[floor(count.index / 4)].id
  cidr_block = cidrsubnet(aws_vpc.v[floor(count.index / 4)].cidr_block, 8, count.index % 4)
}}

resource "aws_security_group" "g" {{
  count       = local.units
  name        = "synthetic-${{count.index}}"
  description = "synthetic"
  vpc_id      = aws_vpc.v[count.index].id
}}

resource "aws_route_table" "r" {{
  count  = local.units
  vpc_id = aws_vpc.v[count.index].id
}}

resource "aws_internet_gateway" "i" {{
  count  = local.units
  vpc_id = aws_vpc.v[count.index].id
}}
''')


if __name__ == "__main__":
    main()
