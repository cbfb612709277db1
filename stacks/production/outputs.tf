output "vpc_id" {
  value = aws_vpc.main.id
}

output "public_subnet_ids" {
  value = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  value = aws_subnet.private[*].id
}

output "alb_dns_name" {
  value = aws_lb.app.dns_name
}

output "cluster_endpoint" {
  value = aws_eks_cluster.main.endpoint
}

output "app_url" {
  value = "http://${aws_route53_record.app.name}"
}
