# Optional: the evidence bucket for collect_evidence. The bot may create
# objects there and nothing else: it cannot read, replace or delete what it
# collected. A retention policy keeps every object for the period even from
# a project owner; lock it once the period is agreed.

resource "google_storage_bucket" "evidence" {
  count                       = var.evidence.enabled ? 1 : 0
  project                     = var.project_id
  name                        = coalesce(var.evidence.bucket, "${var.project_id}-${var.name}-evidence")
  location                    = var.evidence.location
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  versioning {
    enabled = false
  }

  retention_policy {
    retention_period = var.evidence.retention_days * 86400
    is_locked        = var.evidence.lock_retention
  }
}

resource "google_storage_bucket_iam_member" "bot_evidence" {
  for_each = local.roles_in["bucket"]
  bucket   = google_storage_bucket.evidence[0].name
  role     = each.value
  member   = local.bot_member
}
