# The SCC v2 continuous export of threat findings to the topic, from the
# organization, a folder or a project.

resource "google_scc_v2_organization_notification_config" "findings" {
  count        = var.scc_parent == "organization" ? 1 : 0
  config_id    = var.name
  organization = var.organization_id
  location     = "global"
  description  = "Threat findings for sccbot"
  pubsub_topic = google_pubsub_topic.findings.id

  streaming_config {
    filter = var.notification_filter
  }
}

resource "google_scc_v2_folder_notification_config" "findings" {
  count        = var.scc_parent == "folder" ? 1 : 0
  config_id    = var.name
  folder       = var.folder_id
  location     = "global"
  description  = "Threat findings for sccbot"
  pubsub_topic = google_pubsub_topic.findings.id

  streaming_config {
    filter = var.notification_filter
  }
}

resource "google_scc_v2_project_notification_config" "findings" {
  count        = var.scc_parent == "project" ? 1 : 0
  config_id    = var.name
  project      = var.project_id
  location     = "global"
  description  = "Threat findings for sccbot"
  pubsub_topic = google_pubsub_topic.findings.id

  streaming_config {
    filter = var.notification_filter
  }
}

locals {
  # The agent SCC publishes as, from whichever variant exists.
  notification_agent = one(concat(
    google_scc_v2_organization_notification_config.findings[*].service_account,
    google_scc_v2_folder_notification_config.findings[*].service_account,
    google_scc_v2_project_notification_config.findings[*].service_account,
  ))

  # The parent the bot reads findings in: the poll source's parent and
  # where the findings roles are granted.
  scc_parent_name = {
    organization = "organizations/${var.organization_id}"
    folder       = "folders/${var.folder_id}"
    project      = "projects/${var.project_id}"
  }[var.scc_parent]
}

# SCC's notification service agent publishes the findings.
resource "google_pubsub_topic_iam_member" "scc_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.findings.name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${local.notification_agent}"
}
