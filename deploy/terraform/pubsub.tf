data "google_project" "host" {
  project_id = var.project_id
}

locals {
  # Pub/Sub's service agent moves undeliverable messages to the dead-letter
  # topic: it must publish there and acknowledge on the subscription.
  pubsub_agent = "serviceAccount:service-${data.google_project.host.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_pubsub_topic" "findings" {
  project = var.project_id
  name    = "${var.name}-findings"
}

resource "google_pubsub_topic" "dead_letter" {
  project = var.project_id
  name    = "${var.name}-findings-dead"
}

resource "google_pubsub_subscription" "findings" {
  project              = var.project_id
  name                 = "${var.name}-findings"
  topic                = google_pubsub_topic.findings.id
  ack_deadline_seconds = var.ack_deadline_seconds

  # Keep unacknowledged findings for a week: the bot may be down for a while.
  message_retention_duration = "604800s"

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = var.max_delivery_attempts
  }

  # Never delete the subscription for inactivity: a quiet week is normal.
  expiration_policy {
    ttl = ""
  }
}

# A topic without a subscription drops what is published to it: this one
# keeps the dead letters until someone reads them.
resource "google_pubsub_subscription" "dead_letter" {
  project                    = var.project_id
  name                       = "${var.name}-findings-dead"
  topic                      = google_pubsub_topic.dead_letter.id
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = ""
  }
}

resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.dead_letter.name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  project      = var.project_id
  subscription = google_pubsub_subscription.findings.name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}
