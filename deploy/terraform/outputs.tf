output "project_id" {
  description = "The project that hosts the bot."
  value       = var.project_id
}

output "region" {
  description = "Region of the image repository, the Cloud SQL instance and a Cloud Run deployment."
  value       = var.region
}

output "service_account_email" {
  description = "The bot's Google service account."
  value       = google_service_account.sccbot.email
}

output "subscription" {
  description = "sources.pubsub.subscription in the bot's configuration."
  value       = google_pubsub_subscription.findings.id
}

output "poll_parent" {
  description = "sources.poll.parent in the bot's configuration."
  value       = "${local.scc_parent_name}/sources/-/locations/global"
}

output "image_repository" {
  description = "Where to push the image (docker buildx build ... -t IMAGE_REPOSITORY/sccbot:TAG)."
  value       = var.create_image_repository ? "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.image[0].repository_id}" : null
}

output "secret_ids" {
  description = "Secret Manager secret per key of the chart's Secret; add each value with gcloud secrets versions add."
  value       = { for key, s in google_secret_manager_secret.token : key => s.secret_id }
}

output "cloud_sql_instance" {
  description = "Connection name of the Cloud SQL instance (PROJECT:REGION:INSTANCE), when created."
  value       = var.cloud_sql.enabled ? google_sql_database_instance.store[0].connection_name : null
}

output "cloud_sql_user" {
  description = "The bot's IAM database user, when the Cloud SQL instance is created."
  value       = var.cloud_sql.enabled ? google_sql_user.bot[0].name : null
}

# The part of the chart's values Terraform knows, as a values file:
#   terraform output -raw helm_values > terraform-values.yaml
output "helm_values" {
  description = "Values for deploy/helm/sccbot: Workload Identity, the subscription and the poll parent."
  value = yamlencode({
    store = { driver = var.cloud_sql.enabled ? "postgres" : "sqlite" }
    serviceAccount = {
      create      = true
      name        = var.kubernetes_service_account
      annotations = { "iam.gke.io/gcp-service-account" = google_service_account.sccbot.email }
    }
    config = {
      sources = {
        pubsub = { subscription = google_pubsub_subscription.findings.id }
        poll   = { parent = "${local.scc_parent_name}/sources/-/locations/global", filter = var.notification_filter }
      }
    }
  })
}

output "evidence_bucket" {
  description = "The evidence bucket, for evidence.bucket in the bot's configuration (empty when not created)."
  value       = var.evidence.enabled ? google_storage_bucket.evidence[0].name : ""
}
