# terrane's built-in policy checks for this stack (`terrane validate` and
# every plan run them; docs/policy.md lists the rules). Every rule is an
# error here: a change that breaks one fails CI.

policy {
  fail_on = "error"
}

rule "TRN001" { severity = "error" }
rule "TRN002" { severity = "error" }
rule "TRN003" { severity = "error" }
rule "TRN004" { severity = "error" }
rule "TRN005" { severity = "error" }
rule "TRN006" { severity = "error" }

rule "TRN007" {
  severity = "error"
  tags     = ["Project", "Environment", "ManagedBy"]
}
