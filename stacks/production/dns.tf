resource "aws_route53_zone" "main" {
  name    = var.domain
  comment = "Public zone of ${var.name}"
}

resource "aws_route53_record" "app" {
  zone_id = aws_route53_zone.main.zone_id
  name    = "www.${var.domain}"
  type    = "A"

  alias {
    name                   = aws_lb.app.dns_name
    zone_id                = aws_lb.app.zone_id
    evaluate_target_health = true
  }
}

resource "aws_route53_record" "verification" {
  zone_id = aws_route53_zone.main.zone_id
  name    = "_verify.${var.domain}"
  type    = "TXT"
  ttl     = 300
  records = ["${var.name}-verification"]
}
