# Optional: PostgreSQL for store.driver postgres (several replicas). The bot
# logs in as its service account with IAM database authentication: there is
# no password to store.

resource "google_sql_database_instance" "store" {
  count            = var.cloud_sql.enabled ? 1 : 0
  project          = var.project_id
  name             = "${var.name}-store"
  region           = var.region
  database_version = var.cloud_sql.database_version

  deletion_protection = true

  settings {
    tier              = var.cloud_sql.tier
    availability_type = var.cloud_sql.availability

    database_flags {
      name  = "cloudsql.iam_authentication"
      value = "on"
    }

    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
    }

    ip_configuration {
      ssl_mode = "ENCRYPTED_ONLY"
    }
  }
}

resource "google_sql_database" "store" {
  count    = var.cloud_sql.enabled ? 1 : 0
  project  = var.project_id
  instance = google_sql_database_instance.store[0].name
  name     = var.name
}

# An IAM user is named after the service account's e-mail without
# ".gserviceaccount.com".
resource "google_sql_user" "bot" {
  count    = var.cloud_sql.enabled ? 1 : 0
  project  = var.project_id
  instance = google_sql_database_instance.store[0].name
  name     = trimsuffix(google_service_account.sccbot.email, ".gserviceaccount.com")
  type     = "CLOUD_IAM_SERVICE_ACCOUNT"
}
