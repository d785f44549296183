# Secret Manager secrets for the tokens. Terraform creates them empty: add
# the values with `gcloud secrets versions add` (README, Deploying it), so
# that no token is ever in the Terraform state.

locals {
  secrets = merge(
    {
      slack-app-token = "SLACK_APP_TOKEN (xapp-...)"
      slack-bot-token = "SLACK_BOT_TOKEN (xoxb-...)"
    },
    var.enable_pagerduty_secret ? { pagerduty-routing-key = "PAGERDUTY_ROUTING_KEY" } : {},
    var.cloud_sql.enabled || var.runtime == "cloudrun" ? { database-url = "SCCBOT_DATABASE_URL" } : {},
    # Cloud Run has no ConfigMap: the service mounts the configuration file
    # from this secret (it holds no secret itself).
    var.runtime == "cloudrun" ? { config = "sccbot.yaml, mounted at /etc/sccbot/sccbot.yaml" } : {},
  )
}

resource "google_secret_manager_secret" "token" {
  for_each  = local.secrets
  project   = var.project_id
  secret_id = "${var.name}-${each.key}"

  labels = {
    app = var.name
  }

  annotations = {
    env = each.value
  }

  replication {
    auto {}
  }
}
